"""Serving model versions locally, for real: a real ``mlflow server`` holding a registered
sklearn model, a real Jupyter server with Trackside, real ``mlflow models serve`` processes.

A served model takes seconds to start, so one served version is shared by the tests that
do not kill it (the module's Jupyter server, ``lab``, allows two served models at once).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from trackside.server import process_group
from trackside.server.probe import free_port
from trackside.server.serving.manager import ServingManager, ServingOptions

from .in_process_mlflow import logging_to
from .jupyter_process import TOKEN, Server, jupyter_server
from .servers import MlflowServer

MODEL = "trackside-serving-test"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
STARTUP = 240.0


@dataclass
class Registered:
    name: str
    example: Any  # the input example, a pandas DataFrame
    expected: list[int]  # the model's predictions for it


def register_versions(tracking_uri: str, name: str, versions: int) -> Registered:
    """Log and register ``versions`` versions of a small sklearn classifier."""
    import mlflow
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    features = pd.DataFrame(rng.normal(size=(60, 4)), columns=FEATURES)
    labels = (features["petal_length"] + features["petal_width"] > 0).astype(int)
    model = LogisticRegression().fit(features, labels)
    example = features.head(3)
    with logging_to(tracking_uri, "trackside-serving") as experiment_id:
        for _ in range(versions):
            with mlflow.start_run(experiment_id=experiment_id):
                mlflow.sklearn.log_model(
                    model, name="model", input_example=example, registered_model_name=name
                )
    return Registered(name, example, [int(v) for v in model.predict(example)])


def api(
    server: Server,
    method: str,
    path: str,
    body: Any = None,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    response = requests.request(
        method,
        f"{server.url}/trackside/api/{path}",
        data=data,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        timeout=120,
    )
    return response.status_code, response.json()


def wait_for(
    server: Server,
    served_id: str,
    state: str,
    timeout: float = STARTUP,
    meanwhile: tuple[str, ...] = ("starting",),
) -> dict:
    """The served model once in ``state``; only the ``meanwhile`` states are allowed before."""
    deadline, served = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        status, answer = api(server, "GET", f"serving/{served_id}")
        assert status == 200, answer
        served = answer["served"]
        if served["state"] == state:
            return served
        assert served["state"] in meanwhile, served
        time.sleep(0.3)
    raise AssertionError(f"the served model never became {state}: {served}")


def alive_in_group(pgid: int) -> list[int]:
    return [p.pid for p in process_group.group_members(pgid) if process_group.is_alive(p.pid)]


def wait_until_gone(pgid: int, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := alive_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def scoring_server_pid(pgid: int) -> int:
    """The uvicorn process that `mlflow models serve` started, in the served model's group."""
    (pid,) = [
        p.pid for p in process_group.group_members(pgid) if "uvicorn" in " ".join(p.cmdline())
    ]
    return pid


def invocations_logged(served: dict) -> int:
    return served["log_tail"].count("POST /invocations")


@pytest.fixture(scope="module")
def registered(real_mlflow: MlflowServer) -> Registered:
    return register_versions(real_mlflow.url, MODEL, versions=3)


@pytest.fixture(scope="module")
def lab(
    real_mlflow: MlflowServer, registered: Registered, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("serving") / "notebooks"
    root.mkdir()
    extra = [f"--Trackside.tracking_uri={real_mlflow.url}", "--Trackside.max_served_models=2"]
    with jupyter_server(root, free_port("127.0.0.1"), extra) as server:
        server.wait_ready()
        yield server


@pytest.fixture(scope="module")
def served(lab: Server, registered: Registered) -> dict:
    """Version 1, served once for the module's tests that do not kill it."""
    status, answer = api(lab, "POST", "serving", {"name": registered.name, "version": "1"})
    assert status == 202, answer
    assert answer["served"]["state"] == "starting"
    return wait_for(lab, answer["served"]["id"], "ready")


def test_a_served_version_is_ready_listed_and_predicts_its_input_example(lab, registered, served):
    assert served["name"] == registered.name and served["version"] == "1"
    assert served["model_uri"] == f"models:/{registered.name}/1"
    assert served["ready_at"] >= served["started_at"] and served["message"] is None
    # Its own process group (the watchdog's), holding `mlflow models serve` and uvicorn.
    commands = [" ".join(p.cmdline()) for p in process_group.group_members(served["pid"])]
    assert any("mlflow models serve" in c and f"-p {served['port']}" in c for c in commands)
    assert scoring_server_pid(served["pid"])
    status, listed = api(lab, "GET", "serving")
    assert status == 200 and [s["id"] for s in listed["served"]] == [served["id"]]

    split = json.loads(registered.example.to_json(orient="split", index=False))
    status, answer = api(lab, "POST", f"serving/{served['id']}/predict", {"dataframe_split": split})
    assert status == 200, answer
    assert answer["status"] == 200 and answer["predictions"] == registered.expected
    assert answer["latency_ms"] > 0 and "error" not in answer
    records = registered.example.to_dict(orient="records")
    status, answer = api(
        lab, "POST", f"serving/{served['id']}/predict", {"dataframe_records": records}
    )
    assert (status, answer["status"], answer["predictions"]) == (200, 200, registered.expected)


def test_serving_the_same_version_again_returns_the_served_entry(lab, registered, served):
    for version in (1, "1"):
        status, answer = api(lab, "POST", "serving", {"name": registered.name, "version": version})
        assert status == 202 and answer["served"]["id"] == served["id"]
        assert answer["served"]["state"] == "ready"


@pytest.mark.reliability("B9")
def test_a_payload_that_breaks_the_signature_gets_mlflows_schema_error(lab, registered, served):
    path = f"serving/{served['id']}/predict"
    renamed = registered.example.rename(columns={"petal_width": "petal_girth"})
    wrong_names = {"dataframe_records": renamed.to_dict(orient="records")}
    wrong_types = {"dataframe_records": [dict.fromkeys(FEATURES, "tall")]}
    cases = [
        # MLflow's schema enforcement: a column of the signature is missing.
        (wrong_names, "INVALID_PARAMETER_VALUE", "Failed to enforce schema", "petal_width"),
        # MLflow's parsing against the signature: "tall" is no float64.
        (wrong_types, "BAD_REQUEST", "not compatible with model signature", "'tall'"),
    ]
    for payload, code, words, detail in cases:
        status, answer = api(lab, "POST", path, payload)
        assert status == 200, answer
        assert answer["status"] == 400 and "predictions" not in answer
        assert answer["error"]["error_code"] == code, answer
        assert words in answer["error"]["message"] and detail in answer["error"]["message"]


@pytest.mark.reliability("B9")
def test_predict_refuses_bodies_that_are_not_one_json_object_within_the_cap(lab, served):
    path = f"serving/{served['id']}/predict"
    _, before = api(lab, "GET", f"serving/{served['id']}")
    for raw in (b"[1, 2]", b'"dataframe_split"', b"not json", b""):
        status, answer = api(lab, "POST", path, raw=raw)
        assert (status, answer["error_code"]) == (400, "MALFORMED_REQUEST"), raw
    status, answer = api(lab, "POST", path, raw=b'{"inputs": "' + b"x" * (5 * 1024 * 1024) + b'"}')
    assert (status, answer["error_code"]) == (413, "RESOURCE_EXHAUSTED")
    assert "5,242,880" in answer["message"]
    # None of them reached the scoring server.
    _, after = api(lab, "GET", f"serving/{served['id']}")
    assert invocations_logged(after["served"]) == invocations_logged(before["served"])


def test_unknown_ids_and_bad_versions_are_refused_without_starting_anything(lab, served):
    unknown = "0123456789abcdef"
    for method, path in (
        ("GET", f"serving/{unknown}"),
        ("DELETE", f"serving/{unknown}"),
        ("POST", f"serving/{unknown}/predict"),
    ):
        status, answer = api(lab, method, path, {"inputs": [1]})
        assert (status, answer["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST"), path
    status, answer = api(lab, "GET", "serving/not-an-id")
    assert (status, answer["error_code"]) == (404, "ENDPOINT_NOT_FOUND")

    bad = [
        ({"name": "a/b", "version": 1}, "cannot contain '/'"),
        ({"name": "", "version": 1}, "Missing value for required parameter 'name'"),
        ({"version": 1}, "'name' must be"),
        ({"name": MODEL, "version": "one"}, "must be an integer"),
        ({"name": MODEL, "version": 0}, "start at 1"),
        ({"name": MODEL, "version": True}, "'version' must be"),
        ({"name": MODEL, "version": 1.5}, "'version' must be"),
    ]
    for body, words in bad:
        status, answer = api(lab, "POST", "serving", body)
        assert (status, answer["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
        assert words in answer["message"], answer
    _, listed = api(lab, "GET", "serving")
    assert [s["id"] for s in listed["served"]] == [served["id"]]


@pytest.mark.reliability("C2")
def test_cookie_authenticated_posts_need_the_xsrf_token(lab, registered, served):
    session = requests.Session()
    session.get(f"{lab.url}/api/status", params={"token": TOKEN}, timeout=30).raise_for_status()
    assert session.cookies, "the token login should set a session cookie"
    url = f"{lab.url}/trackside/api/serving"
    assert session.get(url, timeout=30).status_code == 200  # the cookie authenticates
    body = json.dumps({"name": registered.name, "version": 1})
    refused = session.post(url, data=body, timeout=30)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    predict = session.post(f"{url}/{served['id']}/predict", data="{}", timeout=30)
    assert predict.status_code == 403
    session.cookies.set("_xsrf", "trackside-test-xsrf")
    accepted = session.post(
        url, data=body, headers={"X-XSRFToken": "trackside-test-xsrf"}, timeout=30
    )
    assert accepted.status_code == 202 and accepted.json()["served"]["id"] == served["id"]


def test_kill_9_of_a_served_model_is_reported_with_its_log_and_leaves_nothing(
    lab, registered, served
):
    status, answer = api(lab, "POST", "serving", {"name": registered.name, "version": 2})
    assert status == 202, answer
    victim = wait_for(lab, answer["served"]["id"], "ready")
    pgid = victim["pid"]
    os.kill(scoring_server_pid(pgid), signal.SIGKILL)

    failed = wait_for(lab, victim["id"], "failed", timeout=30, meanwhile=("ready",))
    assert failed["port"] is None and failed["pid"] is None
    assert (
        f"Serving '{registered.name}' version 2 failed: the model server exited"
        in (failed["message"])
    )
    assert "Return code = -9" in failed["log_tail"]  # `mlflow models serve` saw uvicorn die
    assert wait_until_gone(pgid) == [], "processes of the killed served model are left"
    status, answer = api(lab, "POST", f"serving/{victim['id']}/predict", {"inputs": [[1]]})
    assert (status, answer["error_code"]) == (409, "RESOURCE_CONFLICT")
    assert "failed" in answer["message"]

    # Dismissed by a DELETE; the shared version 1 never noticed.
    status, answer = api(lab, "DELETE", f"serving/{victim['id']}")
    assert (status, answer["served"]["state"]) == (200, "failed")
    _, listed = api(lab, "GET", "serving")
    assert [(s["id"], s["state"]) for s in listed["served"]] == [(served["id"], "ready")]


def test_the_cap_on_served_models_is_enforced_and_a_start_can_be_stopped(lab, registered, served):
    status, answer = api(lab, "POST", "serving", {"name": registered.name, "version": 2})
    assert status == 202, answer
    second = answer["served"]
    status, answer = api(lab, "POST", "serving", {"name": registered.name, "version": 3})
    assert (status, answer["error_code"]) == (409, "RESOURCE_CONFLICT")
    assert "max_served_models = 2" in answer["message"]
    assert f"'{registered.name}' version 1" in answer["message"]

    # Stopped while still starting: the whole process group goes.
    status, answer = api(lab, "DELETE", f"serving/{second['id']}")
    assert (status, answer["served"]["state"]) == (200, "stopped")
    assert wait_until_gone(second["pid"], timeout=5) == []
    _, listed = api(lab, "GET", "serving")
    assert [s["id"] for s in listed["served"]] == [served["id"]]


def test_stopping_the_jupyter_server_stops_every_served_model(lab, served):
    # Last of the module: it stops the module's Jupyter server.
    pgid = served["pid"]
    assert alive_in_group(pgid)
    lab.process.send_signal(signal.SIGTERM)
    lab.process.wait(timeout=60)
    assert wait_until_gone(pgid, timeout=5) == [], "a served model outlived its Jupyter server"


def test_a_sigkilled_jupyter_server_leaves_no_served_model(
    real_mlflow: MlflowServer, registered: Registered, tmp_path: Path
):
    root = tmp_path / "notebooks"
    root.mkdir()
    extra = [f"--Trackside.tracking_uri={real_mlflow.url}"]
    with jupyter_server(root, free_port("127.0.0.1"), extra) as server:
        server.wait_ready()
        status, answer = api(server, "POST", "serving", {"name": registered.name, "version": 1})
        assert status == 202, answer
        ready = wait_for(server, answer["served"]["id"], "ready")
        assert (root / ".trackside" / "serving" / f"{ready['id']}.log").is_file()
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        assert wait_until_gone(ready["pid"]) == [], "the watchdog left a served model behind"


async def test_a_version_that_cannot_be_loaded_fails_with_its_log_tail(
    real_mlflow: MlflowServer, tmp_path: Path
):
    uri = real_mlflow.url
    options = ServingOptions(
        state_dir=tmp_path / "serving",
        environment={"MLFLOW_TRACKING_URI": uri, "MLFLOW_REGISTRY_URI": uri},
    )
    manager = ServingManager(options)
    try:
        served = await manager.serve("trackside-no-such-model", 4)
        deadline = time.monotonic() + STARTUP
        while served.state.value == "starting" and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        state = served.to_json()
        assert state["state"] == "failed", state
        assert "failed: the model server exited with code 1 before it was ready" in state["message"]
        assert "trackside-no-such-model" in state["log_tail"]
        assert "RESOURCE_DOES_NOT_EXIST" in state["message"]  # the log's last line
        assert alive_in_group(served.process.pid or 0) == []
    finally:
        await manager.stop()


async def test_a_model_not_ready_within_the_startup_timeout_fails_and_is_stopped(
    real_mlflow: MlflowServer, registered: Registered, tmp_path: Path
):
    uri = real_mlflow.url
    options = ServingOptions(
        state_dir=tmp_path / "serving",
        environment={"MLFLOW_TRACKING_URI": uri, "MLFLOW_REGISTRY_URI": uri},
        startup_timeout=1.0,  # `mlflow models serve` takes longer than that to import MLflow
    )
    manager = ServingManager(options)
    try:
        served = await manager.serve(registered.name, 1)
        pgid = served.process.pid or 0
        deadline = time.monotonic() + 60
        while served.state.value == "starting" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        state = served.to_json()
        assert state["state"] == "failed", state
        assert "the model server was not ready 1 s after start" in state["message"]
        assert alive_in_group(pgid) == []
    finally:
        await manager.stop()
