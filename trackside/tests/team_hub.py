"""JupyterHub with two users before one shared MLflow server with authentication, for the tests.

The MLflow server (team_backend: PostgreSQL, moto's S3, ``--app-name basic-auth``, its users
created by MLflow's admin), JupyterHub run from docs/jupyterhub_config.py, and kernels in the
users' servers reached through the proxy the way a browser reaches them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from trackside.server.probe import free_port

from .team_backend import moto_s3, postgres_cluster, team_mlflow_server
from .test_stream_iopub import decode_frame, run

ROOT = Path(__file__).resolve().parents[2]
HUB_CONFIG = ROOT / "docs" / "jupyterhub_config.py"
# ui-tests' npm packages carry it; `scripts/dev test` installs them (npm ci) before pytest.
PROXY = ROOT / "ui-tests" / "node_modules" / ".bin" / "configurable-http-proxy"
HOST = "127.0.0.1"
ADMIN = "admin"
USERS = ("alice", "bob")
ADMIN_SERVICE = "trackside-test-admin"
START_TIMEOUT = 240.0  # a single-user server starts in ~15 s here, far slower on a busy CI box


@dataclass
class TeamMlflow:
    url: str
    admin_password: str

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.url}/{path}", auth=(ADMIN, self.admin_password), timeout=60, **kwargs
        )

    def as_user(self, user: HubUser, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.url}/{path}",
            auth=(user.name, user.mlflow_password),
            timeout=60,
            **kwargs,
        )


@dataclass
class HubUser:
    name: str
    mlflow_password: str
    token: str = ""


@dataclass
class Hub:
    url: str
    mlflow: TeamMlflow
    users: dict[str, HubUser]
    log: Path
    # Filled when the hub stops: its proxy, single-user servers and kernels included.
    stopped: list[psutil.Process] = field(default_factory=list)

    def call(self, user: HubUser, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request through the proxy with ``user``'s Hub API token."""
        return requests.request(
            method,
            f"{self.url}/{path}",
            headers={"Authorization": f"token {user.token}"},
            timeout=60,
            allow_redirects=False,
            **kwargs,
        )

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


# -- the shared MLflow server ------------------------------------------------------------------


def auth_config(folder: Path, database_uri: str, admin_password: str) -> Path:
    """MLflow's basic-auth settings: users and permissions in PostgreSQL, read-only by default."""
    path = folder / "basic_auth.ini"
    path.write_text(
        textwrap.dedent(
            f"""\
            [mlflow]
            default_permission = READ
            database_uri = {database_uri}
            admin_username = {ADMIN}
            admin_password = {admin_password}
            authorization_function = mlflow.server.auth:authenticate_request_basic_auth
            auth_cache_ttl_seconds = 60
            """
        )
    )
    path.chmod(0o600)
    return path


@contextmanager
def shared_mlflow(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TeamMlflow]:
    admin_password = secrets.token_urlsafe(16)
    with ExitStack() as stack:
        cluster = stack.enter_context(postgres_cluster(folder / "postgres"))
        s3 = stack.enter_context(moto_s3(folder / "s3"))
        config = auth_config(folder, cluster.create_database("mlflow_auth"), admin_password)
        # Read by the server only (team_mlflow_server passes this process's environment on).
        monkeypatch.setenv("MLFLOW_AUTH_CONFIG_PATH", str(config))
        monkeypatch.setenv("MLFLOW_FLASK_SERVER_SECRET_KEY", secrets.token_hex(16))
        server = stack.enter_context(
            team_mlflow_server(
                folder / "mlflow", cluster, s3, extra_args=("--app-name", "basic-auth")
            )
        )
        monkeypatch.delenv("MLFLOW_AUTH_CONFIG_PATH")
        monkeypatch.delenv("MLFLOW_FLASK_SERVER_SECRET_KEY")
        yield TeamMlflow(url=server.url, admin_password=admin_password)


def create_mlflow_users(mlflow: TeamMlflow) -> dict[str, HubUser]:
    """Each user's MLflow account, created by MLflow's admin through its auth REST API."""
    users = {}
    for name in USERS:
        password = secrets.token_urlsafe(16)
        answer = mlflow.admin(
            "POST",
            "api/2.0/mlflow/users/create",
            json={"username": name, "password": password},
        )
        assert answer.status_code == 200, answer.text
        users[name] = HubUser(name=name, mlflow_password=password)
    return users


# -- JupyterHub --------------------------------------------------------------------------------


def hub_test_config(folder: Path, admin_token: str) -> tuple[Path, str]:
    """docs/jupyterhub_config.py as it is, plus only ports, folders and the proxy's path;
    and the hub's public URL."""
    ports = {name: free_port(HOST) for name in ("public", "hub", "proxy_api")}
    allow_root = ' + ["--allow-root"]' if os.geteuid() == 0 else ""
    path = folder / "jupyterhub_test_config.py"
    path.write_text(
        textwrap.dedent(
            f"""\
            c = get_config()  # noqa: F821
            load_subconfig({str(HUB_CONFIG)!r})  # noqa: F821

            c.JupyterHub.bind_url = "http://{HOST}:{ports["public"]}"
            c.JupyterHub.hub_bind_url = "http://{HOST}:{ports["hub"]}"
            c.ConfigurableHTTPProxy.api_url = "http://{HOST}:{ports["proxy_api"]}"
            c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
            c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
            c.JupyterHub.db_url = "sqlite:///{folder / "jupyterhub.sqlite"}"
            c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
            c.SimpleLocalProcessSpawner.home_dir_template = {str(folder / "home" / "{username}")!r}
            c.Spawner.cmd = [{sys.executable!r}, "-m", "jupyterhub.singleuser"]
            c.Spawner.args = c.Spawner.args{allow_root}
            c.Spawner.start_timeout = {int(START_TIMEOUT)}
            c.Spawner.http_timeout = {int(START_TIMEOUT)}
            c.JupyterHub.services = [{{"name": {ADMIN_SERVICE!r}, "api_token": {admin_token!r}}}]
            c.JupyterHub.load_roles = [
                {{
                    "name": {ADMIN_SERVICE!r},
                    "scopes": ["tokens"],  # only: the users' tokens, their own rights
                    "services": [{ADMIN_SERVICE!r}],
                }}
            ]
            """
        )
    )
    return path, f"http://{HOST}:{ports['public']}"


def hub_processes(hub: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The hub, its proxy, every single-user server and every kernel (each in its own session)."""
    try:
        parent = psutil.Process(hub.pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def is_alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie waits for its reaper only
    except psutil.NoSuchProcess:
        return False


def stop_hub(hub: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """SIGTERM lets the hub stop the servers and the proxy; SIGKILL whatever outlives that."""
    processes = hub_processes(hub)
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=30)
    for process in alive:
        with suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=10)
    hub.wait(timeout=10)
    return processes


@contextmanager
def jupyterhub(folder: Path, mlflow: TeamMlflow, users: dict[str, HubUser]) -> Iterator[Hub]:
    if not os.access(PROXY, os.X_OK):
        pytest.fail(
            f"configurable-http-proxy is missing ({PROXY}): run `scripts/dev test`, "
            "which installs ui-tests' npm packages, or `cd ui-tests && npm ci`"
        )
    folder.mkdir(parents=True)
    logins = folder / "mlflow_logins.json"
    logins.write_text(json.dumps({user.name: user.mlflow_password for user in users.values()}))
    logins.chmod(0o600)
    admin_token = secrets.token_hex(32)
    config, url = hub_test_config(folder, admin_token)
    hub = Hub(url=url, mlflow=mlflow, users=users, log=folder / "jupyterhub.log")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}",
        TRACKSIDE_MLFLOW_URL=mlflow.url,
        TRACKSIDE_MLFLOW_LOGINS=str(logins),
    )
    with open(hub.log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config)],
            cwd=folder,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_hub(hub, process)
            admin = HubUser(name=ADMIN_SERVICE, mlflow_password="", token=admin_token)
            for user in users.values():
                answer = hub.call(admin, "POST", f"hub/api/users/{user.name}/tokens", json={})
                assert answer.status_code == 201, answer.text
                user.token = answer.json()["token"]
            yield hub
        finally:
            hub.stopped = stop_hub(process)


def wait_for_hub(hub: Hub, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyterhub exited with {process.returncode}:\n{hub.log_tail()}")
        try:
            if requests.get(f"{hub.url}/hub/api/", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"JupyterHub did not answer at {hub.url}:\n{hub.log_tail()}")


def start_server(hub: Hub, user: HubUser) -> None:
    """What the hub's Start button does, with the user's own token."""
    answer = hub.call(user, "POST", f"hub/api/users/{user.name}/server")
    assert answer.status_code in (201, 202), answer.text


def wait_until_ready(hub: Hub, user: HubUser) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        server = hub.call(user, "GET", f"hub/api/users/{user.name}").json()["servers"].get("")
        if server and server["ready"]:
            return
        if not server or not server.get("pending"):
            pytest.fail(f"{user.name}'s server did not start:\n{hub.log_tail()}")
        time.sleep(0.5)
    pytest.fail(f"{user.name}'s server was not ready in {START_TIMEOUT} s:\n{hub.log_tail()}")


# -- kernels through the proxy -----------------------------------------------------------------


async def open_channels(hub: Hub, owner: str, kernel_id: str, user: HubUser) -> Any:
    ws_url = hub.url.replace("http", "ws", 1)
    request = HTTPRequest(
        f"{ws_url}/user/{owner}/api/kernels/{kernel_id}/channels",
        headers={"Authorization": f"token {user.token}"},
    )
    return await websocket_connect(request)


def start_kernel(hub: Hub, user: HubUser) -> str:
    answer = hub.call(user, "POST", f"user/{user.name}/api/kernels", json={"name": "python3"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def streamed_points(messages: list[dict[str, Any]]) -> int:
    """Points that came as live-stream batches on the ``trackside.metrics`` comm."""
    return sum(
        m["content"]["data"].get("points", 0) + m["content"]["data"].get("dropped_exact", 0)
        for m in messages
        if m["msg_type"] == "comm_msg" and m["buffers"]
    )


def execute(
    hub: Hub, user: HubUser, kernel_id: str, code: str, stream: int = 0
) -> list[dict[str, Any]]:
    """Run ``code`` in ``user``'s kernel over the websocket a browser uses; every message seen,
    listening on after the cell ends until ``stream`` live points came (batches are timed)."""

    async def go() -> list[dict[str, Any]]:
        ws = await open_channels(hub, user.name, kernel_id, user)
        try:
            seen = await run(ws, code, timeout=START_TIMEOUT)
            deadline = time.monotonic() + 60
            while streamed_points(seen) < stream and time.monotonic() < deadline:
                try:
                    frame = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
                except TimeoutError:
                    break  # the test says what is missing
                assert frame is not None, "websocket closed"
                seen.append(decode_frame(frame))
            return seen
        finally:
            ws.close()

    return asyncio.run(go())


def printed(messages: list[dict[str, Any]]) -> str:
    errors = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert not errors, "\n".join(e["ename"] + ": " + e["evalue"] for e in errors)
    return "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")


def metric_history(hub: Hub, run_id: str, points: int) -> list[dict[str, Any]]:
    """The run's ``loss`` history once ``points`` points reached MLflow (the sender is async)."""
    deadline, history = time.monotonic() + START_TIMEOUT, []
    while time.monotonic() < deadline:
        answer = hub.mlflow.admin(
            "GET",
            "api/2.0/mlflow/metrics/get-history",
            params={"run_id": run_id, "metric_key": "loss"},
        )
        assert answer.status_code == 200, answer.text
        history = answer.json().get("metrics", [])
        if len(history) >= points:
            return history
        time.sleep(0.5)
    raise AssertionError(f"{len(history)} of {points} points reached MLflow")
