"""Real servers for the tests: an ``mlflow server`` subprocess and a recording HTTP peer.

Every server the tests start (``mlflow server`` here, moto's S3 and the team's
``mlflow server`` in ``team_backend``) runs through ``spawn_logged``: a process group of its
own, output appended to a log file, and the whole group stopped when the block ends, also
when the body raises; an atexit hook is the last resort when the interpreter ends before a
block could.
"""

from __future__ import annotations

import atexit
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from trackside.server.probe import free_port
from trackside.server.process_group import stop_group
from trackside.server.supervised import log_tail

HOST = "127.0.0.1"
START_TIMEOUT = 120.0

#: MLflow's job runner (GenAI scorers and trace jobs, never tracking) starts a runner and
#: seven huey consumers beside every ``mlflow server``: eight Python processes importing
#: MLflow on two cores, which slows every test server's start-up for nothing.
WITHOUT_JOB_RUNNER = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}

# Clean-ups still owed, run at interpreter exit if a block never got to run them.
_owed: dict[int, Callable[[], None]] = {}
_owner = os.getpid()


def _run_owed() -> None:
    if os.getpid() != _owner:
        return  # a forked child exiting must not stop its parent's servers
    for cleanup in list(_owed.values()):
        with suppress(Exception):  # the last resort tries every clean-up
            cleanup()


atexit.register(_run_owed)


@contextmanager
def owing(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run ``cleanup`` when the block ends, or at interpreter exit if it never does."""
    key = id(cleanup)
    _owed[key] = cleanup
    try:
        yield
    finally:
        _owed.pop(key, None)
        cleanup()


@dataclass
class LoggedProcess:
    """A command started by ``spawn_logged``; its pid is also its process group."""

    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        return log_tail(self.log, lines)

    def stop(self) -> None:
        """SIGTERM the whole group, SIGKILL what outlives 5 s, and reap the command."""
        stop_group(self.process.pid, grace=5)
        self.process.wait(timeout=10)


@contextmanager
def spawn_logged(
    command: Sequence[str], root: Path, log_name: str, env: Mapping[str, str] | None = None
) -> Iterator[LoggedProcess]:
    """Run ``command`` in ``root``, in a session and process group of its own.

    Its output is appended to ``root/log_name``; ``env``, when given, is its whole
    environment. The group is stopped when the block ends, also when the body raises.
    """
    root.mkdir(parents=True, exist_ok=True)
    log = root / log_name
    with open(log, "ab") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            list(command),
            cwd=root,
            env=dict(env) if env is not None else None,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = LoggedProcess(process=process, log=log)
    with owing(running.stop):
        yield running


@dataclass
class MlflowServer:
    url: str
    root: Path
    process: subprocess.Popen[bytes]


def wait_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.read().strip() == b"OK":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"no MLflow server became healthy at {url}")


def _wait_up(url: str, running: LoggedProcess) -> None:
    """Wait until ``url`` is healthy; fail at once, with the log, if the server exits."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if running.process.poll() is not None:
            code = running.process.returncode
            raise RuntimeError(f"mlflow server exited with {code}:\n{running.tail()}")
        try:
            wait_healthy(url, timeout=1.0)
            return
        except TimeoutError:
            if time.monotonic() > deadline:
                message = f"no MLflow server became healthy at {url}:\n{running.tail()}"
                raise TimeoutError(message) from None


@contextmanager
def serve_mlflow(
    root: Path,
    port: int,
    backend_store_uri: str,
    artifacts_destination: str,
    *,
    workers: int = 1,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[MlflowServer]:
    """``mlflow server`` on ``port``, logging to ``root/server.log``; yields once healthy.

    It runs without MLflow's job runner, with this process's environment plus ``env``.
    """
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", backend_store_uri,
        "--artifacts-destination", artifacts_destination,
        "--host", HOST, "--port", str(port), "--workers", str(workers),
        *extra_args,
    ]  # fmt: skip
    environment = {**WITHOUT_JOB_RUNNER, **os.environ, **(env or {})}
    url = f"http://{HOST}:{port}"
    with spawn_logged(command, root, "server.log", environment) as running:
        _wait_up(url, running)
        yield MlflowServer(url=url, root=root, process=running.process)


def mlflow_server(root: Path, port: int | None = None) -> AbstractContextManager[MlflowServer]:
    """``mlflow server`` with SQLite under ``root``, in its own process group."""
    return serve_mlflow(
        root,
        port or free_port(HOST),
        f"sqlite:///{root / 'mlflow.db'}",
        str(root / "mlartifacts"),
    )


@dataclass
class RecordingPeer:
    """An HTTP server that records every request it gets and answers from a table."""

    url: str
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # path (without query) -> (status, headers, body)
    answers: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    # path (without query) -> seconds to wait before answering
    delays: dict[str, float] = field(default_factory=dict)


@contextmanager
def recording_peer() -> Iterator[RecordingPeer]:
    port = free_port(HOST)
    peer = RecordingPeer(url=f"http://{HOST}:{port}")
    default = (200, {"Content-Type": "application/json"}, json.dumps({"ok": True}).encode())

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            peer.requests.append((self.command, self.path, dict(self.headers.items())))
            path = self.path.split("?")[0]
            time.sleep(peer.delays.get(path, 0.0))
            status, headers, body = peer.answers.get(path, default)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer((HOST, port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
