"""The team set-up of README "Team set-up", run for real with two users, alice and bob.

One shared MLflow server (PostgreSQL, S3 artifacts in moto's server, 4 workers, MLflow's own
authentication: ``--app-name basic-auth``) behind JupyterHub configured by
docs/jupyterhub_config.py (DummyAuthenticator, SimpleLocalProcessSpawner, each user's MLflow
login put into their own server's environment). Each user gets a real single-user Jupyter
server with Trackside and real kernels, reached through configurable-http-proxy.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
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
import pyarrow as pa
import pytest
import requests
from tornado.httpclient import HTTPClientError, HTTPRequest
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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


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
                    "scopes": ["admin:users", "admin:servers", "tokens"],
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


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    folder = tmp_path_factory.mktemp("team")
    with pytest.MonkeyPatch.context() as monkeypatch, ExitStack() as stack:
        mlflow = stack.enter_context(shared_mlflow(folder, monkeypatch))
        users = create_mlflow_users(mlflow)
        running = stack.enter_context(jupyterhub(folder / "hub", mlflow, users))
        for user in users.values():
            start_server(running, user)
        for user in users.values():
            wait_until_ready(running, user)
        yield running
    left = [process.pid for process in running.stopped if is_alive(process)]
    assert not left, f"still running after the hub stopped: {left}"
    assert len(running.stopped) >= 5  # hub, proxy, two servers, kernels: all were seen


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


ALICE_LOGS = textwrap.dedent(
    """
    %load_ext trackside
    import mlflow
    mlflow.set_experiment("alice-experiment")
    with mlflow.start_run() as run:
        for step in range(50):
            mlflow.log_metric("loss", 1 / (step + 1), step=step)
    print("run", run.info.run_id, run.info.experiment_id)
    """
)


@dataclass
class AliceRun:
    run_id: str
    experiment_id: str
    kernel_id: str
    messages: list[dict[str, Any]]


@pytest.fixture(scope="module")
def alice_run(hub: Hub) -> AliceRun:
    alice = hub.users["alice"]
    kernel_id = start_kernel(hub, alice)
    messages = execute(hub, alice, kernel_id, ALICE_LOGS, stream=50)
    run_id, experiment_id = printed(messages).split("run ", 1)[1].split()[:2]
    return AliceRun(run_id, experiment_id, kernel_id, messages)


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


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", USERS)
def test_each_users_panel_talks_to_the_shared_server(hub: Hub, name: str):
    user = hub.users[name]
    answer = hub.call(user, "GET", f"user/{name}/trackside/api/status")
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert (status["mode"], status["healthy"], status["state"]) == ("external", True, "ready")
    assert status["tracking_uri"] == hub.mlflow.url
    assert user.mlflow_password not in answer.text  # credentials stay in the server

    answer = hub.call(
        user, "GET", f"user/{name}/trackside/api/mlflow/experiments/search?max_results=10"
    )
    assert answer.status_code == 200, answer.text
    assert "Default" in [experiment["name"] for experiment in answer.json()["experiments"]]


def test_alices_kernel_logs_as_alice_and_streams_to_her(hub: Hub, alice_run: AliceRun):
    history = metric_history(hub, alice_run.run_id, 50)
    assert sorted(point["step"] for point in history) == list(range(50))

    run = hub.mlflow.admin("GET", "api/2.0/mlflow/runs/get", params={"run_id": alice_run.run_id})
    assert run.json()["run"]["info"]["user_id"] == "alice"
    # MLflow itself saw alice create the experiment: she manages it, bob has no grant.
    for name, expected in (("alice", ["MANAGE"]), ("bob", [])):
        granted = hub.mlflow.admin(
            "GET", "api/3.0/mlflow/users/permissions/list", params={"username": name}
        ).json()["permissions"]
        on_experiment = [
            grant["permission"]
            for grant in granted
            if grant["resource_type"] == "experiment"
            and grant["resource_pattern"] == alice_run.experiment_id
        ]
        assert on_experiment == expected, (name, granted)

    # The live stream came over alice's own kernel channel.
    opens = [m for m in alice_run.messages if m["msg_type"] == "comm_open"]
    assert [m["content"]["target_name"] for m in opens] == ["trackside.metrics"]
    assert streamed_points(alice_run.messages) == 50
    batches = [
        pa.ipc.open_stream(pa.py_buffer(m["buffers"][0])).read_all()
        for m in alice_run.messages
        if m["msg_type"] == "comm_msg" and m["buffers"]
    ]
    live = pa.concat_tables(batches)
    assert set(live.column("run_id").to_pylist()) == {alice_run.run_id}
    assert sorted(live.column("step").to_pylist()) == list(range(50))


@pytest.mark.parametrize(
    "path",
    [
        "trackside/api/status",
        "trackside/api/mlflow/experiments/search?max_results=10",
        "trackside/api/metrics/history?run_id=0&key=loss",
        "api/kernels",
    ],
)
def test_bobs_token_cannot_read_alices_server(hub: Hub, alice_run: AliceRun, path: str):
    answer = hub.call(hub.users["bob"], "GET", f"user/alice/{path}")
    assert answer.status_code == 403, (answer.status_code, answer.text)
    assert alice_run.run_id not in answer.text


def test_bobs_token_cannot_open_alices_kernel_channel(hub: Hub, alice_run: AliceRun):
    async def bob_opens() -> int:
        try:
            ws = await open_channels(hub, "alice", alice_run.kernel_id, hub.users["bob"])
        except HTTPClientError as refused:
            return refused.code
        ws.close()
        return 101

    assert asyncio.run(bob_opens()) == 403


def test_bobs_browser_session_cannot_enter_alices_server(hub: Hub):
    """Logged in through the hub's login form, as a browser would: alice gets in, bob does not."""

    def log_in(name: str) -> requests.Session:
        session = requests.Session()
        form = session.get(f"{hub.url}/hub/login", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        assert xsrf, form.text[:500]
        answer = session.post(
            f"{hub.url}/hub/login",
            data={"username": name, "password": "any", "_xsrf": xsrf[1]},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text[:500]
        return session

    alice, bob = log_in("alice"), log_in("bob")
    lab = alice.get(f"{hub.url}/user/alice/lab", timeout=60)
    assert lab.status_code == 200
    assert hub.users["alice"].mlflow_password not in lab.text  # nor in the page's config
    status = alice.get(f"{hub.url}/user/alice/trackside/api/status", timeout=60)
    assert status.status_code == 200 and status.json()["healthy"], status.text[:500]

    assert bob.get(f"{hub.url}/user/alice/lab", timeout=60).status_code == 403
    refused = bob.get(f"{hub.url}/user/alice/trackside/api/status", timeout=60)
    assert refused.status_code == 403, refused.text[:500]


BOB_TRIES = textwrap.dedent(
    """
    import os
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    print("user", os.environ["MLFLOW_TRACKING_USERNAME"])
    client = MlflowClient()
    print("reads", client.get_experiment("{experiment_id}").name)
    try:
        client.rename_experiment("{experiment_id}", "bob-was-here")
        print("renamed")
    except MlflowException as refused:
        print("refused", refused.get_http_status_code())
    """
)


def test_mlflow_permissions_hold_for_bob(hub: Hub, alice_run: AliceRun):
    bob, alice = hub.users["bob"], hub.users["alice"]

    # bob's kernel logs in as bob (his server's environment): he may read, not edit.
    kernel_id = start_kernel(hub, bob)
    said = printed(execute(hub, bob, kernel_id, BOB_TRIES.format(**vars(alice_run))))
    assert "user bob" in said
    assert "reads alice-experiment" in said
    assert "refused 403" in said, said

    # The same through MLflow's REST API with bob's login.
    answer = hub.mlflow.as_user(
        bob,
        "POST",
        "api/2.0/mlflow/experiments/update",
        json={"experiment_id": alice_run.experiment_id, "new_name": "bob-was-here"},
    )
    assert answer.status_code == 403, answer.text

    # And through bob's panel: a registry write on alice's model is MLflow's refusal, said so.
    created = hub.call(
        alice,
        "POST",
        "user/alice/trackside/api/registry/registered-models/create",
        json={"name": "alice-model"},
    )
    assert created.status_code == 200, created.text
    answer = hub.call(
        bob,
        "PATCH",
        "user/bob/trackside/api/registry/registered-models/update",
        json={"name": "alice-model", "description": "bob was here"},
    )
    assert answer.status_code == 403, answer.text
    assert answer.json()["error_code"] == "PERMISSION_DENIED"

    experiment = hub.mlflow.admin(
        "GET", "api/2.0/mlflow/experiments/get", params={"experiment_id": alice_run.experiment_id}
    ).json()["experiment"]
    assert experiment["name"] == "alice-experiment"
    model = hub.mlflow.admin(
        "GET", "api/2.0/mlflow/registered-models/get", params={"name": "alice-model"}
    ).json()["registered_model"]
    assert model.get("description", "") == ""
