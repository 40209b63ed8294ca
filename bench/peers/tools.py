"""The trackers compared, as adapters: cells to run in a real kernel and readers of each store.

Every tool logs the same series: metric ``loss``, ``value_of(step)`` at ``step``. The values
are exact in float32 (TensorBoard stores scalars as float32), so one checksum fits every store.

A tool whose package cannot be imported with its interpreter is ``missing`` (the ImportError is
the reason), never skipped. Trackio and Aim pin versions below what this project's ``.venv``
holds (``pillow<13``, ``filelock<4``), so each runs from a virtual environment of its own,
``.venv-peers/<key>`` (``python -m bench.peers.venvs`` creates them; ``$BENCH_PEERS_VENVS``
points elsewhere); its kernels use that interpreter and its store is read by a subprocess of
that interpreter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import re
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PEER_VENVS = REPO / ".venv-peers"
METRIC = "loss"
EXPERIMENT = "peers"


def value_of(step: int) -> float:
    """The value logged at ``step``: exact in float32 for every step below 2**24."""
    return step * 0.5


def checksum(points: list[tuple[int, float]]) -> str:
    digest = hashlib.sha256()
    for step, value in sorted(points):
        digest.update(struct.pack("<qd", step, value))
    return digest.hexdigest()[:16]


def expected_checksum(n: int) -> str:
    return checksum([(i, value_of(i)) for i in range(n)])


# --- backends -----------------------------------------------------------------------------


@dataclass
class Backends:
    """The ``mlflow server``s of one harness run (SQLite each) and its temp root."""

    mlflow_url: str
    trackside_url: str
    root: Path

    def database(self, url: str) -> Path:
        """The SQLite file behind the server at ``url``."""
        name = "mlflow-trackside" if url == self.trackside_url else "mlflow-plain"
        return self.root / name / "mlflow.db"


_current: Backends | None = None


def current_backends() -> Backends:
    if _current is None:
        raise RuntimeError("the MLflow-based tools need `with backends():` around them")
    return _current


@contextlib.contextmanager
def backends(root: Path | None = None) -> Iterator[Backends]:
    """One ``mlflow server`` for ``mlflow_sync``/``mlflow_async``, one for ``trackside``."""
    global _current
    from trackside.tests.servers import mlflow_server

    if _current is not None:  # one set of servers for every measure of a run
        yield _current
        return
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peers-")))
        plain = stack.enter_context(mlflow_server(root / "mlflow-plain"))
        tracked = stack.enter_context(mlflow_server(root / "mlflow-trackside"))
        previous, _current = _current, Backends(plain.url, tracked.url, root)
        try:
            yield _current
        finally:
            _current = previous


# --- kernels ------------------------------------------------------------------------------


class PeerKernel:
    """A real ipykernel (jupyter_client) on ``python``; one thread takes every iopub message.

    The iopub thread plays the part of the Jupyter server: it drains the channel, so a
    Trackside kernel's ``trackside.metrics`` comm stays open and flowing (as with the panel),
    and it collects each cell's stdout and error.
    """

    def __init__(self, python: Path, env: dict[str, str], cwd: Path, name: str) -> None:
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        specs = Path(tempfile.mkdtemp(prefix="peer-kernelspec-"))
        spec = specs / name
        spec.mkdir()
        argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": name, "language": "python"})
        )
        self.manager = KernelManager(
            kernel_name=name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)])
        )
        self.manager.start_kernel(env=env, cwd=str(cwd))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=300)
        self.comm_messages = 0
        self.comm_points = 0
        self._cells: dict[str, _Cell] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._iopub = threading.Thread(target=self._drain, daemon=True)
        self._iopub.start()

    @property
    def pid(self) -> int:
        return int(self.manager.provisioner.process.pid)  # type: ignore[union-attr]

    def run(self, code: str, timeout: float = 7200) -> str:
        """Execute ``code``; its stdout; raise with the traceback if the cell failed."""
        cell = _Cell()
        with self._lock:
            msg_id = self.client.execute(code, store_history=False)
            self._cells[msg_id] = cell
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"cell still running after {timeout:g} s:\n{code[:200]}")
            try:
                reply = self.client.get_shell_msg(timeout=min(left, 1.0))
            except queue.Empty:
                if not self.manager.is_alive():
                    raise RuntimeError("the kernel died during the cell") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        cell.idle.wait(timeout=30)  # the last stdout comes before the idle status
        self._cells.pop(msg_id, None)
        if reply["content"]["status"] != "ok":
            detail = "\n".join(cell.errors) or str(reply["content"].get("evalue"))
            raise RuntimeError(f"cell failed:\n{detail}")
        return "".join(cell.stdout)

    def json(self, code: str, timeout: float = 7200) -> Any:
        return json.loads(self.run(code, timeout).strip().splitlines()[-1])

    def start(self, code: str) -> str:
        """Send ``code`` without waiting (for a cell the harness will kill -9 or poll)."""
        with self._lock:
            msg_id = self.client.execute(code, store_history=False)
            self._cells[msg_id] = _Cell()
        return msg_id

    def kill9(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.manager.provisioner.process.wait(timeout=30)  # type: ignore[union-attr]
        self._close()
        with contextlib.suppress(Exception):
            self.manager.cleanup_resources()

    def shutdown(self) -> None:
        self._close()
        with contextlib.suppress(Exception):
            self.manager.shutdown_kernel(now=True)

    def _close(self) -> None:
        self._stop.set()
        self._iopub.join(timeout=5)
        self.client.stop_channels()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except (queue.Empty, ValueError, RuntimeError):
                continue
            except Exception:  # the channel closed under us (kill -9)
                return
            kind = msg["msg_type"]
            if kind == "comm_msg":
                data = msg["content"].get("data") or {}
                if data.get("type") == "points":
                    self.comm_messages += 1
                    self.comm_points += int(data.get("points") or 0)
                continue
            cell = self._cells.get(msg["parent_header"].get("msg_id", ""))
            if cell is None:
                continue
            if kind == "stream" and msg["content"]["name"] == "stdout":
                cell.stdout.append(msg["content"]["text"])
            elif kind == "error":
                cell.errors.append("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                cell.idle.set()


@dataclass
class _Cell:
    stdout: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    idle: threading.Event = field(default_factory=threading.Event)


# --- tools --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    module: str | None
    venv: str | None = None  # a `.venv-peers/<venv>` of its own, else this interpreter

    @property
    def python(self) -> Path:
        if self.venv is None:
            return Path(sys.executable)
        venvs = Path(os.environ.get("BENCH_PEERS_VENVS") or PEER_VENVS)
        return venvs / self.venv / "bin" / "python"

    def missing(self) -> str | None:
        """None if the tool imports with its interpreter, else the ImportError's text."""
        if self.module is None:
            return None
        if not self.python.exists():
            return f"no interpreter at {self.python} (create it: python -m bench.peers.venvs)"
        probe = subprocess.run(
            [str(self.python), "-c", f"import {self.module}"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if probe.returncode == 0:
            return None
        lines = probe.stderr.strip().splitlines()
        return lines[-1] if lines else f"import {self.module} exited with {probe.returncode}"

    def kernel_env(self, store: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("PYTHONPATH", None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def open_cell(self, store: Path, run_name: str) -> str:
        raise NotImplementedError

    def close_cell(self) -> str:
        raise NotImplementedError

    def read_points(self, store: Path, run_name: str) -> list[tuple[int, float]]:
        raise NotImplementedError

    def recover(self, store: Path, run_name: str) -> str:
        return "nothing to do: the store is read as it was left"

    def _read_with_own_python(
        self, reader: str, *args: str, env: dict[str, str] | None = None
    ) -> list[tuple[int, float]]:
        """Run ``reader`` (prints ``P step value`` lines) with the tool's interpreter."""
        done = subprocess.run(
            [str(self.python), "-c", reader, *args],
            capture_output=True,
            text=True,
            timeout=3600,
            env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
        )
        if done.returncode != 0:
            raise RuntimeError(f"reading {self.key}'s store failed:\n{done.stderr[-2000:]}")
        points = []
        for line in done.stdout.splitlines():
            if line.startswith("P "):
                _, step, value = line.split()
                points.append((int(step), float(value)))
        return points


# MLflow-based tools: the store is the `mlflow server` of `backends()`.

_MLFLOW_OPEN = """
import mlflow
mlflow.set_experiment({experiment!r})
_run = mlflow.start_run(run_name={run_name!r})
def log(step: int, value: float) -> None:
    mlflow.log_metric({metric!r}, value, step=step)
"""


@dataclass(frozen=True)
class MlflowTool(Tool):
    asynchronous: bool = False

    def url(self) -> str:
        return current_backends().mlflow_url

    def kernel_env(self, store: Path) -> dict[str, str]:
        env = super().kernel_env(store)
        env.update(
            MLFLOW_TRACKING_URI=self.url(),
            MLFLOW_REGISTRY_URI=self.url(),
            MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true",
            MLFLOW_ENABLE_ASYNC_LOGGING="true" if self.asynchronous else "false",
        )
        return env

    def open_cell(self, store: Path, run_name: str) -> str:
        return _MLFLOW_OPEN.format(experiment=EXPERIMENT, run_name=run_name, metric=METRIC)

    def close_cell(self) -> str:
        flush = "mlflow.flush_async_logging()\n" if self.asynchronous else ""
        return flush + "mlflow.end_run()\n"

    def read_points(self, store: Path, run_name: str) -> list[tuple[int, float]]:
        from mlflow import MlflowClient

        client = MlflowClient(self.url())
        experiment = client.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return []
        runs = client.search_runs(
            [experiment.experiment_id], filter_string=f"attributes.run_name = '{run_name}'"
        )
        if not runs:
            return []
        # The server's own store, read with SQL: MLflow's REST history reads ~2,000 points/s
        # on this machine, which would time the reader rather than the tracker.
        database = current_backends().database(self.url())
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT step, value FROM metrics WHERE run_uuid = ? AND key = ?",
                (runs[0].info.run_id, METRIC),
            ).fetchall()
        return [(int(step), float(value)) for step, value in rows]

    def recover(self, store: Path, run_name: str) -> str:
        return "nothing to do: what reached the server is what there is"


@dataclass(frozen=True)
class TracksideTool(MlflowTool):
    def url(self) -> str:
        return current_backends().trackside_url

    def kernel_env(self, store: Path) -> dict[str, str]:
        env = super().kernel_env(store)
        env.update(TRACKSIDE_JOURNAL_DIR=str(store / "journal"), PYTHONPATH=str(REPO))
        return env

    def open_cell(self, store: Path, run_name: str) -> str:
        return "%load_ext trackside\n" + super().open_cell(store, run_name)

    def close_cell(self) -> str:
        return (
            "mlflow.end_run()\n"
            "from trackside.kernel.journal.durable import active as _active\n"
            "assert _active() is not None and _active().flush(3600), 'journal not drained'\n"
        )

    def recover(self, store: Path, run_name: str) -> str:
        journaled = self.journaled(store)
        limit = float(os.environ.get("BENCH_PEERS_REPLAY_TIMEOUT") or 600)
        done = subprocess.run(
            [sys.executable, "-m", "trackside.cli", "sync", "--journal-dir",
             str(store / "journal"), "--tracking-uri", self.url(), "--timeout", f"{limit:g}"],
            capture_output=True, text=True, timeout=limit + 300, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        output = " ".join((done.stdout + done.stderr).split())
        counts = re.search(r"\d+ entries sent, \d+ left, \d+ dead-lettered", output)
        summary = counts.group(0) if counts else output[:300]
        return (
            f"{journaled:,} points were in the dead kernel's journal; `trackside sync`"
            f" (--timeout {limit:g}) replayed it: {summary}"
        )

    @staticmethod
    def journaled(store: Path) -> int:
        """Distinct ``loss`` steps in the kernel journals under ``store`` (what a replay sends)."""
        from trackside.kernel.journal.records import Metric, iter_records

        steps = set()
        for journal in (store / "journal").iterdir() if (store / "journal").exists() else ():
            if not (journal / "owner.json").exists():
                continue
            for _, entry in iter_records(journal):
                if type(entry) is Metric and entry.key == METRIC:
                    steps.add(entry.step)
        return len(steps)


# Tools with a local store under `store`.

_TRACKIO_READ = """
import sys
from trackio.sqlite_storage import SQLiteStorage
for log in SQLiteStorage.get_logs(project=sys.argv[1], run=sys.argv[1]):
    if "loss" in log:
        print("P", log["step"], repr(float(log["loss"])))
"""


@dataclass(frozen=True)
class TrackioTool(Tool):
    def kernel_env(self, store: Path) -> dict[str, str]:
        env = super().kernel_env(store)
        env.update(TRACKIO_DIR=str(store / "trackio"))
        return env

    def open_cell(self, store: Path, run_name: str) -> str:
        return f"""
import trackio
trackio.init(project={run_name!r}, name={run_name!r}, embed=False)
def log(step: int, value: float) -> None:
    trackio.log({{{METRIC!r}: value}}, step=step)
"""

    def close_cell(self) -> str:
        return "trackio.finish()\n"

    def read_points(self, store: Path, run_name: str) -> list[tuple[int, float]]:
        env = {"TRACKIO_DIR": str(store / "trackio")}
        return self._read_with_own_python(_TRACKIO_READ, run_name, env=env)


@dataclass(frozen=True)
class WandbTool(Tool):
    def kernel_env(self, store: Path) -> dict[str, str]:
        env = super().kernel_env(store)
        env.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=str(store))
        return env

    def open_cell(self, store: Path, run_name: str) -> str:
        return f"""
import wandb
_run = wandb.init(mode="offline", dir={str(store)!r}, project="peers", name={run_name!r})
open({str(store / (run_name + ".path"))!r}, "w").write(_run.dir.rsplit("/files", 1)[0])
def log(step: int, value: float) -> None:
    wandb.log({{{METRIC!r}: value}}, step=step)
"""

    def close_cell(self) -> str:
        return "wandb.finish()\n"

    def read_points(self, store: Path, run_name: str) -> list[tuple[int, float]]:
        """The history records of the offline run's .wandb log, by `wandb leet inspect`."""
        run_dir = Path((store / f"{run_name}.path").read_text().strip())
        logs = sorted(run_dir.glob("*.wandb"))
        if not logs:
            return []
        command = [str(self.python), "-m", "wandb", "leet", "inspect", "--json", str(logs[0])]
        points = []
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as reader:
            assert reader.stdout is not None
            for line in reader.stdout:
                if '"history"' not in line:
                    continue
                items = json.loads(line).get("history", {}).get("item", {})
                if METRIC in items:
                    points.append((int(items["_step"]), float(items[METRIC])))
        if reader.returncode != 0:
            raise RuntimeError(f"wandb leet inspect exited with {reader.returncode}")
        return points

    def recover(self, store: Path, run_name: str) -> str:
        return (
            "counted what `wandb sync` would upload: the history records of the offline"
            " run's .wandb log, read with wandb's own reader (`wandb leet inspect --json`;"
            " no network here)"
        )


_TENSORBOARD_READ = """
import sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator, SCALARS
events = EventAccumulator(sys.argv[1], size_guidance={SCALARS: 0})
events.Reload()
if "loss" in events.Tags()["scalars"]:
    for e in events.Scalars("loss"):
        print("P", e.step, repr(float(e.value)))
"""


@dataclass(frozen=True)
class TensorboardTool(Tool):
    def open_cell(self, store: Path, run_name: str) -> str:
        return f"""
from torch.utils.tensorboard import SummaryWriter
_writer = SummaryWriter(log_dir={str(store / run_name)!r})
def log(step: int, value: float) -> None:
    _writer.add_scalar({METRIC!r}, value, step)
"""

    def close_cell(self) -> str:
        return "_writer.close()\n"

    def read_points(self, store: Path, run_name: str) -> list[tuple[int, float]]:
        return self._read_with_own_python(_TENSORBOARD_READ, str(store / run_name))

    def recover(self, store: Path, run_name: str) -> str:
        return "read the event files left on disk with TensorBoard's EventAccumulator"


# A closed run is in its chunk databases; Aim's readers see it once it is in the repo's index
# (which `aim up` keeps up to date): `aim storage reindex` first, then aim.Repo.
_AIM_READ = """
import os, subprocess, sys
from aim import Repo
root = os.path.join(sys.argv[1], "aim")
subprocess.run([os.path.join(os.path.dirname(sys.executable), "aim"), "storage", "--repo", root,
                "reindex", "-y"], check=True, capture_output=True)
run_hash = open(os.path.join(sys.argv[1], sys.argv[2] + ".path")).read().strip()
run = Repo.from_path(root).get_run(run_hash)
for metric in run.metrics() if run is not None else ():
    if metric.name == "loss":
        steps, columns = metric.data.items_list()
        for step, value in zip(steps, columns[0]):
            print("P", step, repr(float(value)))
"""


@dataclass(frozen=True)
class AimTool(Tool):
    def open_cell(self, store: Path, run_name: str) -> str:
        return f"""
from aim import Run
_run = Run(repo={str(store / "aim")!r}, experiment="peers", system_tracking_interval=None,
           log_system_params=False, capture_terminal_logs=False)
_run.name = {run_name!r}
open({str(store / (run_name + ".path"))!r}, "w").write(_run.hash)
def log(step: int, value: float) -> None:
    _run.track(value, name={METRIC!r}, step=step)
"""

    def close_cell(self) -> str:
        return "_run.close()\n"

    def read_points(self, store: Path, run_name: str) -> list[tuple[int, float]]:
        return self._read_with_own_python(_AIM_READ, str(store), run_name)

    def recover(self, store: Path, run_name: str) -> str:
        return "indexed the Aim repo left on disk (`aim storage reindex`) and read it with aim.Repo"


TOOLS: dict[str, Tool] = {
    tool.key: tool
    for tool in (
        TracksideTool("trackside", "Trackside", None),
        MlflowTool("mlflow_sync", "MLflow sync", None),
        MlflowTool("mlflow_async", "MLflow async", None, asynchronous=True),
        TrackioTool("trackio", "Trackio", "trackio", venv="trackio"),
        WandbTool("wandb", "W&B offline", "wandb"),
        TensorboardTool("tensorboard", "TensorBoard", "torch.utils.tensorboard"),
        AimTool("aim", "Aim", "aim", venv="aim"),
    )
}


def kernel_for(tool: Tool, store: Path) -> PeerKernel:
    """A fresh kernel for ``tool`` writing under ``store``; run ``tool.open_cell`` next."""
    store.mkdir(parents=True, exist_ok=True)
    return PeerKernel(tool.python, tool.kernel_env(store), store, f"peer-{tool.key}")
