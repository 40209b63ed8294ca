"""The team set-up of README "Team set-up", run for real with two users, alice and bob.

One shared MLflow server (PostgreSQL, S3 artifacts in moto's server, 4 workers, MLflow's own
authentication: ``--app-name basic-auth``) behind JupyterHub configured by
docs/jupyterhub_config.py (DummyAuthenticator, SimpleLocalProcessSpawner, each user's MLflow
login put into their own server's environment). Each user gets a real single-user Jupyter
server with Trackside and real kernels, reached through configurable-http-proxy.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
import requests
from tornado.httpclient import HTTPClientError

from .team_hub import (
    USERS,
    Hub,
    create_mlflow_users,
    execute,
    is_alive,
    jupyterhub,
    metric_history,
    open_channels,
    printed,
    shared_mlflow,
    start_kernel,
    start_server,
    streamed_points,
    wait_until_ready,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


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

    # Her panel draws the curve from her server's history endpoint (Arrow), as alice.
    answer = hub.call(
        hub.users["alice"],
        "GET",
        f"user/alice/trackside/api/metrics/history?run_id={alice_run.run_id}&key=loss",
    )
    assert answer.status_code == 200, answer.text
    drawn = pa.ipc.open_stream(pa.py_buffer(answer.content)).read_all()
    assert sorted(drawn.column("step").to_pylist()) == list(range(50))

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
    assert "jupyterlab-trackside" in lab.text  # the panel's extension is in her JupyterLab
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
