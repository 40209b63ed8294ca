"""Real tracked kernels for the team-server benches: start, run a cell, read its JSON.

A kernel here is what Trackside's server extension starts: ``MLFLOW_TRACKING_URI`` (and the
registry URI) in its environment and ``%load_ext trackside`` run in it, so MLflow calls go
through durable logging (journal + background sender) and points reach the live comm.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from jupyter_client import KernelManager

REPO = Path(__file__).resolve().parents[1]


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


def metric_rows(cluster: Any, run_id: str, database: str = "mlflow") -> int:
    """Exact count of stored metric rows of a run, read from PostgreSQL itself."""
    connection = cluster.connect(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM metrics WHERE run_uuid = %s", (run_id,))
            return int(cursor.fetchone()[0])
    finally:
        connection.close()
