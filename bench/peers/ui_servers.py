"""Each peer's own local UI, started with its default settings on a free port, always stopped.

``with ui_server("tensorboard", store) as ui: ...`` serves the store a tool writes to (the
folder ``bench.peers.tools`` hands its ``open_cell``) and yields its base URL once the UI
answers; on leaving, every process of the server's process group is stopped, also when the
body failed. The measures that open these UIs in chromium (``see.mjs``, ``fidelity.py``)
start them through here, from Python or through the command line:

    python -m bench.peers.ui_servers TOOL STORE   # one JSON line {"url", "pid", ...}; serves
                                                  # until stdin closes or SIGTERM/SIGINT

Only the tools' documented commands are used (``mlflow server``, ``trackio show``,
``tensorboard --logdir``, ``aim up``) and none of their UI settings is changed: what the
benchmarks report is what a user sees by default. W&B offline mode has no local UI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from trackside.server.probe import free_port
from trackside.server.process_group import stop_group

HOST = "127.0.0.1"

#: Tools without a local UI, and why.
NO_UI = {
    "wandb": (
        "W&B offline mode has no local UI: offline runs are seen only after `wandb sync` "
        "uploads them to a W&B server, which this benchmark does not reach"
    ),
}


@dataclass(frozen=True)
class UiServer:
    tool: str
    url: str  # base URL of the UI, no trailing slash
    store: Path  # what it serves: the store the tool writes to
    pid: int  # leader of the server's process group
    settings: str  # the default refresh behaviour a reader of the results needs to know


def _bin(name: str, tool: str) -> str:
    """A console script beside the tool's interpreter (``bench.peers.tools``: the .venv, or
    the tool's own ``.venv-peers/<key>``)."""
    from bench.peers.tools import TOOLS

    found = TOOLS[tool].python.parent / name
    if not found.exists():
        raise FileNotFoundError(f"`{name}` is not installed beside {TOOLS[tool].python}")
    return str(found)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 400
    except (OSError, urllib.error.HTTPError):
        return False


@contextmanager
def _serve(
    tool: str,
    command: list[str],
    store: Path,
    port: int,
    probe: str,
    settings: str,
    env: dict[str, str] | None = None,
    timeout: float = 180.0,
) -> Iterator[UiServer]:
    """Start ``command`` in a process group of its own; yield once ``probe`` answers."""
    store.mkdir(parents=True, exist_ok=True)
    log_path = store.parent / f"{store.name}-{tool}-ui.log"
    log = open(log_path, "ab")  # noqa: SIM115 - closed below, after the server stops
    process = subprocess.Popen(
        command,
        cwd=store,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _answers(url + probe):
            if process.poll() is not None:
                raise RuntimeError(
                    f"{tool} UI exited with {process.returncode}: "
                    + log_path.read_text(errors="replace")[-2000:]
                )
            if time.monotonic() > deadline:
                raise TimeoutError(f"{tool} UI did not answer at {url + probe} in {timeout:.0f} s")
            time.sleep(0.3)
        yield UiServer(tool=tool, url=url, store=store, pid=process.pid, settings=settings)
    finally:
        stop_group(process.pid, grace=5)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def mlflow_ui(store: Path, port: int | None = None) -> AbstractContextManager[UiServer]:
    """``mlflow server`` on a SQLite file in ``store``: tracking API and UI on one port.

    The run page's "Model metrics" charts refresh every 30 s while the run is active
    (auto-refresh on by default; MLflow 3's run-page charts poll ``getRun`` and the sampled
    metric history, 320 points a series, on a 30,000 ms interval).
    """
    port = port or free_port(HOST)
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{store / 'mlflow.db'}",
        "--artifacts-destination", str(store / "mlartifacts"),
        "--host", HOST, "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    return _serve(
        "mlflow",
        command,
        store,
        port,
        "/health",
        "run page charts auto-refresh every 30 s (MLflow's default)",
        # MLflow's job runner serves GenAI jobs, never tracking or the UI.
        env={"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )


def tensorboard_ui(store: Path, port: int | None = None) -> AbstractContextManager[UiServer]:
    """``tensorboard --logdir store``: the backend re-reads event files every 5 s
    (``--reload_interval`` default); the page's own auto-reload is off by default
    (TensorBoard 2.x settings: ``reloadEnabled: false``, 30 s when a user turns it on)."""
    port = port or free_port(HOST)
    command = [
        _bin("tensorboard", "tensorboard"),
        "--logdir",
        str(store),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    return _serve(
        "tensorboard",
        command,
        store,
        port,
        "/data/environment",
        "backend re-reads every 5 s, page auto-reload off (defaults)",
    )


def trackio_ui(store: Path, port: int | None = None) -> AbstractContextManager[UiServer]:
    """Trackio's dashboard (``trackio.show()``) on the projects in ``store / "trackio"``
    (``TRACKIO_DIR``, as ``bench.peers.tools`` logs them). Its page polls the server every
    1,000 ms (2,500-3,500 ms only on Hugging Face Spaces)."""
    from bench.peers.tools import TOOLS

    port = port or free_port(HOST)
    show = (
        "import trackio; trackio.show(open_browser=False, block_thread=True, "
        f"host={HOST!r}, server_port={port})"
    )
    command = [str(TOOLS["trackio"].python), "-c", show]
    env = {"TRACKIO_DIR": str(store / "trackio")}
    return _serve(
        "trackio", command, store, port, "/", "dashboard polls every 1 s (default)", env=env
    )


def aim_ui(store: Path, port: int | None = None) -> AbstractContextManager[UiServer]:
    """``aim up`` on the Aim repository ``store / "aim"`` (as ``bench.peers.tools`` logs it;
    initialised first if no run made it yet). Aim's run page loads its metrics once, and the
    Metrics explorer's live update is off by default (10 s when turned on)."""
    port = port or free_port(HOST)
    repo = store / "aim"
    aim = _bin("aim", "aim")
    if not (repo / ".aim").exists():
        repo.mkdir(parents=True, exist_ok=True)
        subprocess.run([aim, "init", "--repo", str(repo)], check=True, capture_output=True)
    command = [aim, "up", "--repo", str(repo), "--host", HOST, "--port", str(port)]
    return _serve(
        "aim",
        command,
        store,
        port,
        "/api/projects/",
        "run page loads once; Metrics explorer live update off (defaults)",
    )


#: Tool key -> its UI server (Trackside's UI is its JupyterLab panel: see bench/lab.mjs).
UI_SERVERS: dict[str, Callable[..., AbstractContextManager[UiServer]]] = {
    "mlflow_sync": mlflow_ui,
    "mlflow_async": mlflow_ui,
    "trackio": trackio_ui,
    "tensorboard": tensorboard_ui,
    "aim": aim_ui,
}


def ui_server(tool: str, store: Path, port: int | None = None) -> AbstractContextManager[UiServer]:
    """The UI of ``tool`` serving ``store``; a clear error for a tool without one."""
    if tool in NO_UI:
        raise ValueError(f"{tool} has no local UI: {NO_UI[tool]}")
    if tool not in UI_SERVERS:
        raise ValueError(f"unknown tool {tool!r}; tools with a UI: {', '.join(UI_SERVERS)}")
    return UI_SERVERS[tool](store, port)


def main(argv: list[str]) -> int:
    """Serve until stdin closes or a signal: the parent (see.mjs) owns the lifetime."""
    if len(argv) != 2:
        print("usage: python -m bench.peers.ui_servers TOOL STORE", file=sys.stderr)
        return 2
    tool, store = argv[0], Path(argv[1]).resolve()

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        with ui_server(tool, store) as ui:
            line = {"tool": tool, "url": ui.url, "pid": ui.pid, "settings": ui.settings}
            print(json.dumps(line), flush=True)
            sys.stdin.read()  # returns when the parent closes our stdin (or dies)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
