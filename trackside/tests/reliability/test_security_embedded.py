"""C10, C11 and C12 against the real embedded MLflow server, started by a real Jupyter server.

The embedded server is Trackside's default backend: it must answer only the Jupyter
server and its kernels. A web page on any local port (C11: foreign ``Origin``, DNS
rebinding's foreign ``Host``) and another local user's process without the credentials
(C12) are refused; the credentials appear in no answer, log or command line (C10).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from trackside.server.embedded_auth import CREDENTIALS_NAME, auth_dir
from trackside.server.probe import free_port

from ..jupyter_process import Server, jupyter_server

pytestmark = pytest.mark.slow

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=5"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Embedded:
    jupyter: Server
    root: Path
    port: int
    username: str
    password: str
    started_in: float

    @property
    def basic(self) -> dict[str, str]:
        pair = f"{self.username}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def send(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Answer:
        """One raw request: ``Host`` and ``Origin`` exactly as given, like a browser's."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            sent = {"Host": f"127.0.0.1:{self.port}", **headers}
            for name, value in sent.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body or b"")))
            connection.endheaders(body)
            response = connection.getresponse()
            return Answer(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    root = tmp_path_factory.mktemp("embedded-security") / "notebooks"
    root.mkdir()
    port = free_port("127.0.0.1")
    started = time.monotonic()
    with jupyter_server(root, port) as server:
        status = server.wait_ready(timeout=240)
        assert status["mode"] == "embedded"
        record = json.loads((auth_dir(root / ".trackside", port) / CREDENTIALS_NAME).read_text())
        yield Embedded(
            server,
            root,
            port,
            record["username"],
            record["password"],
            time.monotonic() - started,
        )


def cors_headers(answer: Answer) -> dict[str, str]:
    return {k: v for k, v in answer.headers.items() if k.startswith("access-control-")}


@pytest.mark.reliability("C11")
def test_foreign_origins_and_hosts_are_refused_by_the_embedded_server(embedded, figures):
    # The positive control: the Jupyter server's own login, no Origin, the server's Host.
    assert embedded.send("GET", SEARCH, embedded.basic).status == 200

    jupyter_origin = embedded.jupyter.url  # even JupyterLab's own page gets nothing
    for origin in ("http://localhost:9999", "http://127.0.0.1:9999", jupyter_origin, "null"):
        preflight = embedded.send(
            "OPTIONS",
            "/api/2.0/mlflow/experiments/create",
            {
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,authorization",
            },
        )
        assert preflight.status == 403, origin
        assert cors_headers(preflight) == {}, origin
        # Even with the credentials (a browser that cached them): refused, nothing echoed.
        read = embedded.send("GET", SEARCH, {**embedded.basic, "Origin": origin})
        assert (read.status, cors_headers(read)) == (403, {}), origin
        assert b"experiments" not in read.body
        # A "simple" cross-origin write needs no preflight: refused before MLflow runs it.
        name = f"from-{origin}"
        write = embedded.send(
            "POST",
            "/api/2.0/mlflow/experiments/create",
            {**embedded.basic, "Origin": origin, "Content-Type": "text/plain"},
            json.dumps({"name": name}).encode(),
        )
        assert (write.status, cors_headers(write)) == (403, {}), origin
    names = [
        e["name"]
        for e in embedded.jupyter.call("trackside/api/mlflow/experiments/search?max_results=100")[
            "experiments"
        ]
    ]
    assert not [n for n in names if n.startswith("from-")]

    # DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host.
    for host in ("evil.example", f"evil.example:{embedded.port}", "127.0.0.1.evil.example"):
        rebound = embedded.send("GET", SEARCH, {**embedded.basic, "Host": host})
        assert rebound.status == 403, host
        assert b"experiments" not in rebound.body
    figures.note(f"embedded server healthy {embedded.started_in:.0f} s after Jupyter's start")


@pytest.mark.reliability("C12")
def test_a_local_process_without_the_credentials_is_refused(embedded, figures):
    figures.note(
        "the embedded (SQLite) server only; a team server's logins are MLflow's own "
        "(README: Team set-up)"
    )
    assert embedded.send("GET", SEARCH, {}).status == 401
    wrong = base64.b64encode(f"{embedded.username}:not-the-password".encode()).decode()
    assert embedded.send("GET", SEARCH, {"Authorization": "Basic " + wrong}).status == 401
    admin = base64.b64encode(b"admin:password1234").decode()  # MLflow's old default login
    assert embedded.send("GET", SEARCH, {"Authorization": "Basic " + admin}).status == 401
    for path, method in (
        ("/api/2.0/mlflow/runs/search", "POST"),
        ("/api/2.0/mlflow/users/create", "POST"),
        ("/api/2.0/mlflow-artifacts/artifacts", "GET"),
        ("/ajax-api/2.0/mlflow/experiments/search", "GET"),
        ("/version", "GET"),
    ):
        assert embedded.send(method, path, {"Content-Type": "application/json"}, b"{}").status in (
            401,
            403,
        ), path

    # Only this user can read the credentials: folder 0700, file 0600.
    folder = auth_dir(embedded.root / ".trackside", embedded.port)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / CREDENTIALS_NAME).stat().st_mode) == 0o600


def every_command_line() -> list[str]:
    """What `ps` shows any local user."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return lines


@pytest.mark.reliability("C10")
def test_the_embedded_server_s_password_is_in_no_answer_log_or_command_line(embedded):
    password = embedded.password
    status = embedded.jupyter.request("trackside/api/status")
    assert json.loads(status)["tracking_uri"] == f"http://127.0.0.1:{embedded.port}"
    assert password.encode() not in status
    # An MLflow error relayed by the gateway, and a refused call.
    for path in (
        "trackside/api/mlflow/runs/get?run_id=does-not-exist",
        "trackside/api/mlflow/experiments/create",
    ):
        try:
            body = embedded.jupyter.request(path)
        except Exception as err:  # urllib's HTTPError carries the answer
            body = err.read()  # type: ignore[attr-defined]
        assert password.encode() not in body, path
    logs = [
        *embedded.root.parent.glob("jupyter-*.log"),
        embedded.root / ".trackside" / "mlflow-server.log",
    ]
    assert len(logs) >= 2
    for log in logs:
        assert password not in log.read_text(errors="replace"), log
    assert not [line for line in every_command_line() if password in line]
    # Kernels get it in their environment, which only this user can read.
    environ = os.stat(f"/proc/{embedded.jupyter.process.pid}/environ")
    assert stat.S_IMODE(environ.st_mode) == 0o400
