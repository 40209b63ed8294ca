"""Real tracked kernels and the PostgreSQL team server, shared by the team-server benches.

A kernel here is what Trackside's server extension starts: ``MLFLOW_TRACKING_URI`` (and the
registry URI) in its environment and ``%load_ext trackside`` run in it, so MLflow calls go
through durable logging (journal + background sender) and points reach the live comm.

The team server is ``trackside/tests/team_backend.py``'s: a throw-away PostgreSQL cluster,
moto's S3 and ``mlflow server --workers N`` on them, as README's "Team set-up" describes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from trackside.tests.team_backend import (  # noqa: E402
    PostgresCluster,
    moto_s3,
    postgres_cluster,
    team_mlflow_server,
)


class TrackedKernel:
    def __init__(self, tracking_uri: str, journal: Path, **env: str) -> None:
        environment = dict(os.environ)
        environment.update(
            MLFLOW_TRACKING_URI=tracking_uri,
            MLFLOW_REGISTRY_URI=tracking_uri,
            TRACKSIDE_JOURNAL_DIR=str(journal),
            PYTHONPATH=str(REPO),
            MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true",
            **env,
        )
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=environment, cwd=str(REPO))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=180)
        self.run("%load_ext trackside")

    def run(self, code: str, timeout: float = 3600) -> str:
        """Execute ``code``; stdout back; raise with the traceback if the cell failed."""
        out: list[str] = []
        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "stream":
                sys.stderr.write(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append("\n".join(msg["content"]["traceback"]))

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=hook)
        if reply["content"]["status"] != "ok":
            raise RuntimeError("cell failed:\n" + "\n".join(errors))
        return "".join(out)

    def json(self, code: str, timeout: float = 3600) -> Any:
        return json.loads(self.run(code, timeout).strip().splitlines()[-1])

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@dataclass
class TeamServer:
    url: str
    root: Path  # a temporary folder for journals and the like, removed at the end
    cluster: PostgresCluster
    server_pid: int

    def metric_rows(self, run_id: str, database: str = "mlflow") -> int:
        """Exact count of stored metric rows of a run, read from PostgreSQL itself."""
        connection = self.cluster.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM metrics WHERE run_uuid = %s", (run_id,))
                return int(cursor.fetchone()[0])
        finally:
            connection.close()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by the MLflow server and by PostgreSQL, each
        with every process under it: the difference over a phase is the work it cost there,
        whatever share of the cores the machine's load left to it."""
        return {
            "mlflow_server": _tree_cpu(self.server_pid),
            "postgres": _tree_cpu(self.cluster.postmaster_pid),
        }


def process_tree(pid: int) -> list[psutil.Process]:
    """The process and every process under it (none if it has ended)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _tree_cpu(pid: int) -> float:
    total = 0.0
    for process in process_tree(pid):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue  # ended meanwhile (a closed PostgreSQL connection): its time is gone
        total += times.user + times.system
    return total


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before[name], 2) for name in before}


@contextmanager
def team_server(workers: int, prefix: str) -> Iterator[TeamServer]:
    """PostgreSQL + S3 + ``mlflow server --workers N``, all stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        root = Path(tmp)
        with (
            postgres_cluster(root / "postgres") as cluster,
            moto_s3(root / "s3") as s3,
            team_mlflow_server(root / "mlflow", cluster, s3, workers=workers) as server,
        ):
            yield TeamServer(server.url, root, cluster, server.process.pid)


def loop_arguments(parser: argparse.ArgumentParser, rate: int, seconds: float) -> None:
    """``--kernels``, ``--rate`` and ``--seconds`` of the paced-loop benches (defaults given)."""
    parser.add_argument("--kernels", type=int, default=8)
    parser.add_argument("--rate", type=int, default=rate, help="points/s per kernel")
    parser.add_argument("--seconds", type=float, default=seconds)


def loop_results(args: argparse.Namespace) -> dict[str, Any]:
    """The head of a paced-loop bench's figures: what was asked, and the machine."""
    return {
        "kernels": args.kernels,
        "rate_per_kernel": args.rate,
        "seconds": args.seconds,
        **machine(),
    }


def team_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=4, help="mlflow server --workers")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")


def machine() -> dict[str, Any]:
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": os.getloadavg(),
    }


def finish(results: dict[str, Any], path: Path | None) -> None:
    results["load_average_after"] = os.getloadavg()
    if path is not None:
        path.write_text(json.dumps(results, indent=2))
