"""A real ``jupyter server`` process with Trackside, for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from trackside.server.probe import free_port

TOKEN = "trackside-e2e"


class Server:
    def __init__(self, process: subprocess.Popen[bytes], url: str, runtime: Path) -> None:
        self.process, self.url, self.runtime = process, url, runtime

    def request(self, path: str, method: str = "GET", body: dict | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/{path}",
            method=method,
            data=data,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def call(self, path: str, method: str = "GET", body: dict | None = None) -> dict:
        return json.loads(self.request(path, method, body))

    def wait_ready(self, timeout: float = 120.0) -> dict:
        deadline, status = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                status = self.call("trackside/api/status")
                if status["state"] == "ready" and status["healthy"]:
                    return status
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise AssertionError(f"Trackside never became ready: {status}")


@contextmanager
def jupyter_server(
    root: Path,
    backend_port: int,
    extra_args: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    port = free_port("127.0.0.1")
    runtime = root.parent / "runtime"
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(environment or {})
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
        f"--port={port}", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}", f"--Trackside.port={backend_port}", *extra_args,
    ]  # fmt: skip
    log = open(root.parent / f"jupyter-{port}.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield Server(process, f"http://127.0.0.1:{port}", runtime)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
