"""Real servers for the tests: an ``mlflow server`` subprocess and a recording HTTP peer."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from trackside.server.probe import free_port
from trackside.server.process_group import stop_group

#: MLflow's job runner (GenAI scorers and trace jobs, never tracking) starts a runner and
#: seven huey consumers beside every ``mlflow server``: eight Python processes importing
#: MLflow on two cores, which slows every test server's start-up for nothing.
WITHOUT_JOB_RUNNER = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


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


@contextmanager
def mlflow_server(root: Path, port: int | None = None) -> Iterator[MlflowServer]:
    """``mlflow server`` with SQLite under ``root``, in its own process group."""
    port = port or free_port("127.0.0.1")
    root.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "mlartifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    log = open(root / "server.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        command,
        cwd=root,
        env={**WITHOUT_JOB_RUNNER, **os.environ},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield MlflowServer(url=url, root=root, process=process)
    finally:
        stop_group(process.pid, grace=5)
        process.wait(timeout=10)
        log.close()


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
    port = free_port("127.0.0.1")
    peer = RecordingPeer(url=f"http://127.0.0.1:{port}")
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

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
