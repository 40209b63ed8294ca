"""The /trackside/api gateway against a real ``mlflow server`` subprocess."""

import json

import mlflow
import pytest
from tornado.httpclient import HTTPClientError

from .servers import MlflowServer


@pytest.fixture
def jp_server_config(real_mlflow: MlflowServer):
    # Credentials in the URI must never come back to the browser.
    uri = real_mlflow.url.replace("http://", "http://alice:s3cret@")
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        "Trackside": {"tracking_uri": uri},
    }


@pytest.fixture(scope="module")
def logged_run(real_mlflow: MlflowServer) -> dict[str, str]:
    client = mlflow.MlflowClient(tracking_uri=real_mlflow.url)
    experiment_id = client.create_experiment("gateway-tests")
    run = client.create_run(experiment_id, run_name="gateway-run")
    for step, value in enumerate([0.9, 0.5, 0.2]):
        client.log_metric(run.info.run_id, "loss", value, step=step)
    client.log_param(run.info.run_id, "alpha", "0.5")
    client.log_text(run.info.run_id, "hello", "notes/readme.txt")
    client.set_terminated(run.info.run_id)
    return {"experiment_id": experiment_id, "run_id": run.info.run_id}


async def fetch_json(jp_fetch, *parts, **kwargs):
    response = await jp_fetch("trackside", "api", *parts, **kwargs)
    return response.code, json.loads(response.body)


async def fetch_error(jp_fetch, *parts, **kwargs):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("trackside", "api", *parts, **kwargs)
    return info.value.code, json.loads(info.value.response.body)


async def test_status_reports_external_backend_without_credentials(jp_fetch, real_mlflow):
    code, status = await fetch_json(jp_fetch, "status")
    assert code == 200
    assert status["mode"] == "external"
    assert status["healthy"] is True
    assert status["state"] == "ready"
    assert status["tracking_uri"] == real_mlflow.url
    assert status["mlflow_version"] == mlflow.__version__
    assert "s3cret" not in json.dumps(status)


async def test_read_operations_reach_mlflow(jp_fetch, logged_run):
    body = json.dumps({"max_results": 100})
    _, experiments = await fetch_json(
        jp_fetch, "mlflow", "experiments", "search", method="POST", body=body
    )
    names = {e["name"] for e in experiments["experiments"]}
    assert "gateway-tests" in names

    search = json.dumps({"experiment_ids": [logged_run["experiment_id"]], "max_results": 10})
    _, runs = await fetch_json(jp_fetch, "mlflow", "runs", "search", method="POST", body=search)
    assert [r["info"]["run_name"] for r in runs["runs"]] == ["gateway-run"]

    params = {"run_id": logged_run["run_id"]}
    _, run = await fetch_json(jp_fetch, "mlflow", "runs", "get", params=params)
    assert run["run"]["data"]["params"] == [{"key": "alpha", "value": "0.5"}]

    history_params = {**params, "metric_key": "loss"}
    _, history = await fetch_json(
        jp_fetch, "mlflow", "metrics", "get-history", params=history_params
    )
    assert [(m["step"], m["value"]) for m in history["metrics"]] == [(0, 0.9), (1, 0.5), (2, 0.2)]

    _, artifacts = await fetch_json(jp_fetch, "mlflow", "artifacts", "list", params=params)
    assert [f["path"] for f in artifacts["files"]] == ["notes"]

    by_id = {"experiment_id": logged_run["experiment_id"]}
    _, experiment = await fetch_json(jp_fetch, "mlflow", "experiments", "get", params=by_id)
    assert experiment["experiment"]["name"] == "gateway-tests"


async def test_mlflow_errors_come_back_as_json_with_their_status(jp_fetch):
    code, error = await fetch_error(
        jp_fetch, "mlflow", "runs", "get", params={"run_id": "no-such-run"}
    )
    assert code == 404
    assert error["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "no-such-run" in error["message"]


async def test_invalid_filter_gives_mlflow_message(jp_fetch, logged_run):
    body = json.dumps(
        {"experiment_ids": [logged_run["experiment_id"]], "filter": "metrics.loss <<< 1"}
    )
    code, error = await fetch_error(jp_fetch, "mlflow", "runs", "search", method="POST", body=body)
    assert code == 400
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"


async def test_write_operations_are_not_forwarded(jp_fetch):
    body = json.dumps({"name": "should-not-exist"})
    code, error = await fetch_error(
        jp_fetch, "mlflow", "experiments", "create", method="POST", body=body
    )
    assert code == 404
    assert error["error_code"] == "ENDPOINT_NOT_FOUND"
    search = json.dumps({"filter": "name = 'should-not-exist'", "max_results": 10})
    _, found = await fetch_json(
        jp_fetch, "mlflow", "experiments", "search", method="POST", body=search
    )
    assert found.get("experiments", []) == []


async def test_wrong_method_and_malformed_body(jp_fetch):
    code, error = await fetch_error(jp_fetch, "mlflow", "runs", "search", params={"x": "1"})
    assert (code, error["error_code"]) == (405, "METHOD_NOT_ALLOWED")
    code, error = await fetch_error(
        jp_fetch, "mlflow", "runs", "search", method="POST", body="{not json"
    )
    assert (code, error["error_code"]) == (400, "MALFORMED_REQUEST")
    code, error = await fetch_error(
        jp_fetch, "mlflow", "runs", "search", method="POST", body="[1, 2]"
    )
    assert (code, error["error_code"]) == (400, "MALFORMED_REQUEST")


async def test_unknown_trackside_endpoint_is_json_404(jp_fetch):
    code, error = await fetch_error(jp_fetch, "nothing-here")
    assert (code, error["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
