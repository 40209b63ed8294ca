"""Model Registry reads and writes through /trackside/api, against a real ``mlflow server``.

Refusals are checked twice: against real MLflow (its state is unchanged) and against a
recording peer standing in for the upstream (the request never left the Jupyter server).
"""

from __future__ import annotations

import json

import mlflow
import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from trackside.server.gateway import ALLOWED_OPERATIONS, PATH_PARAMETERS
from trackside.server.registry_writes import WRITE_OPERATIONS, validate_write

from .peer_fixtures import AgainstRecordingPeer
from .servers import MlflowServer


class RegistryReadOnly(Authorizer):
    """Allows everything but Trackside's registry writes (as a JupyterHub role might)."""

    def is_authorized(self, handler, user, action, resource):
        return resource != "trackside:registry-write"


@pytest.fixture
def jp_server_config(real_mlflow: MlflowServer):
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        "Trackside": {"tracking_uri": real_mlflow.url},
    }


@pytest.fixture(scope="module")
def client(real_mlflow: MlflowServer) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=real_mlflow.url)


@pytest.fixture(scope="module")
def logged_model(client: mlflow.MlflowClient) -> dict[str, str]:
    """A run and a LoggedModel produced by it (no files needed to register it)."""
    experiment_id = client.create_experiment("registry-tests")
    run = client.create_run(experiment_id, run_name="registry-run")
    model = client.create_logged_model(experiment_id, name="model", source_run_id=run.info.run_id)
    client.finalize_logged_model(model.model_id, "READY")
    client.set_terminated(run.info.run_id)
    return {
        "experiment_id": experiment_id,
        "run_id": run.info.run_id,
        "model_id": model.model_id,
    }


async def call(jp_fetch, method: str, *parts: str, body: dict | None = None, **kwargs):
    """One request; returns (status, JSON answer) for successes and refusals alike."""
    try:
        response = await jp_fetch(
            "trackside",
            "api",
            *parts,
            method=method,
            body=None if body is None else json.dumps(body),
            allow_nonstandard_methods=True,
            **kwargs,
        )
    except HTTPClientError as err:
        assert err.response is not None, err
        return err.code, json.loads(err.response.body)
    return response.code, json.loads(response.body)


def write(jp_fetch, method: str, operation: str, body: dict):
    return call(jp_fetch, method, "registry", *operation.split("/"), body=body)


def registered_names(client: mlflow.MlflowClient) -> set[str]:
    return {m.name for m in client.search_registered_models(max_results=1000)}


# -- reads ------------------------------------------------------------------------------------


async def test_registry_reads_reach_mlflow(jp_fetch, client, logged_model):
    name = "reads-model"
    client.create_registered_model(name, description="for reads")
    version = client.create_model_version(
        name, f"models:/{logged_model['model_id']}", model_id=logged_model["model_id"]
    )
    client.set_registered_model_alias(name, "champion", version.version)

    code, found = await call(
        jp_fetch,
        "GET",
        "mlflow",
        "registered-models",
        "search",
        params={"filter": f"name='{name}'"},
    )
    assert code == 200
    assert [m["name"] for m in found["registered_models"]] == [name]

    _, got = await call(
        jp_fetch, "GET", "mlflow", "registered-models", "get", params={"name": name}
    )
    assert got["registered_model"]["description"] == "for reads"
    assert got["registered_model"]["aliases"] == [{"alias": "champion", "version": "1"}]

    _, by_alias = await call(
        jp_fetch,
        "GET",
        "mlflow",
        "registered-models",
        "alias",
        params={"name": name, "alias": "champion"},
    )
    assert by_alias["model_version"]["version"] == "1"

    _, versions = await call(
        jp_fetch, "GET", "mlflow", "model-versions", "search", params={"filter": f"name='{name}'"}
    )
    assert [v["version"] for v in versions["model_versions"]] == ["1"]

    _, one = await call(
        jp_fetch, "GET", "mlflow", "model-versions", "get", params={"name": name, "version": "1"}
    )
    assert one["model_version"]["source"] == f"models:/{logged_model['model_id']}", one

    search = {
        "experiment_ids": [logged_model["experiment_id"]],
        "filter": f"source_run_id = '{logged_model['run_id']}'",
    }
    _, models = await call(jp_fetch, "POST", "mlflow", "logged-models", "search", body=search)
    assert [m["info"]["model_id"] for m in models["models"]] == [logged_model["model_id"]]

    _, model = await call(
        jp_fetch,
        "GET",
        "mlflow",
        "logged-models",
        "get",
        params={"model_id": logged_model["model_id"]},
    )
    assert model["model"]["info"]["source_run_id"] == logged_model["run_id"]


async def test_unknown_logged_model_is_mlflows_404(jp_fetch):
    code, error = await call(
        jp_fetch, "GET", "mlflow", "logged-models", "get", params={"model_id": "m-" + "0" * 32}
    )
    assert (code, error["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


# -- writes, end to end -------------------------------------------------------------------------


async def test_registered_model_lifecycle_through_jupyter(jp_fetch, client, logged_model):
    name, model_id = "lifecycle-model", logged_model["model_id"]
    code, created = await write(
        jp_fetch,
        "POST",
        "registered-models/create",
        {"name": name, "description": "first", "tags": [{"key": "team", "value": "a"}]},
    )
    assert code == 200, created
    assert created["registered_model"]["name"] == name
    assert client.get_registered_model(name).tags == {"team": "a"}

    code, _ = await write(
        jp_fetch, "PATCH", "registered-models/update", {"name": name, "description": "second"}
    )
    assert code == 200
    assert client.get_registered_model(name).description == "second"

    await write(
        jp_fetch, "POST", "registered-models/set-tag", {"name": name, "key": "k", "value": "v"}
    )
    assert client.get_registered_model(name).tags == {"team": "a", "k": "v"}
    code, _ = await write(
        jp_fetch, "DELETE", "registered-models/delete-tag", {"name": name, "key": "team"}
    )
    assert code == 200
    assert client.get_registered_model(name).tags == {"k": "v"}

    source = {"name": name, "source": f"models:/{model_id}", "model_id": model_id}
    for expected in ("1", "2"):
        code, version = await write(jp_fetch, "POST", "model-versions/create", source)
        assert code == 200, version
        assert version["model_version"]["version"] == expected
    assert client.get_model_version(name, "2").source == f"models:/{model_id}"

    code, _ = await write(
        jp_fetch,
        "POST",
        "registered-models/alias",
        {"name": name, "alias": "champion", "version": "1"},
    )
    assert code == 200
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    # Moving an alias is setting it again; versions may be numbers in the body too.
    await write(
        jp_fetch,
        "POST",
        "registered-models/alias",
        {"name": name, "alias": "champion", "version": 2},
    )
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    code, _ = await write(
        jp_fetch, "DELETE", "registered-models/alias", {"name": name, "alias": "champion"}
    )
    assert code == 200
    assert client.get_registered_model(name).aliases == {}

    await write(
        jp_fetch,
        "POST",
        "model-versions/set-tag",
        {"name": name, "version": "1", "key": "stage", "value": "ok"},
    )
    assert client.get_model_version(name, "1").tags == {"stage": "ok"}
    await write(
        jp_fetch,
        "DELETE",
        "model-versions/delete-tag",
        {"name": name, "version": "1", "key": "stage"},
    )
    assert client.get_model_version(name, "1").tags == {}
    await write(
        jp_fetch,
        "PATCH",
        "model-versions/update",
        {"name": name, "version": "1", "description": "v1 notes"},
    )
    assert client.get_model_version(name, "1").description == "v1 notes"

    code, _ = await write(
        jp_fetch, "DELETE", "model-versions/delete", {"name": name, "version": "2"}
    )
    assert code == 200
    remaining = client.search_model_versions(f"name='{name}'")
    assert [v.version for v in remaining] == ["1"]


async def test_mlflow_refusals_come_back_with_their_status(jp_fetch):
    code, error = await write(
        jp_fetch, "PATCH", "registered-models/update", {"name": "nobody", "description": "x"}
    )
    assert (code, error["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


# -- writes refused before MLflow ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("registered-models/create", {"name": "bad/name"}, "cannot contain '/' or ':'"),
        ("registered-models/create", {"name": ""}, "Missing value for required parameter 'name'"),
        ("registered-models/create", {"description": "no name"}, "'name'"),
        (
            "registered-models/create",
            {"name": "refused-long", "description": "x" * 5001},
            "exceeds the maximum length of 5000",
        ),
        (
            "registered-models/create",
            {"name": "refused-field", "stage": "Production"},
            "Unknown field 'stage'",
        ),
        (
            "registered-models/create",
            {"name": "refused-tag", "tags": [{"key": "../k", "value": "v"}]},
            "must not resolve to other names",
        ),
        (
            "registered-models/create",
            {"name": "refused-tag-value", "tags": [{"key": "k", "value": "v" * 100_001}]},
            "exceeds the maximum length",
        ),
        (
            "registered-models/alias",
            {"name": "refused", "alias": "latest", "version": "1"},
            "'latest' alias name (case insensitive) is reserved",
        ),
        (
            "registered-models/alias",
            {"name": "refused", "alias": "v3", "version": "1"},
            "Version alias name 'v3' is reserved",
        ),
        (
            "registered-models/alias",
            {"name": "refused", "alias": "has space", "version": "1"},
            "Invalid alias name",
        ),
        (
            "registered-models/alias",
            {"name": "refused", "alias": "ok", "version": "one"},
            "Parameter 'version' must be an integer",
        ),
        (
            "model-versions/create",
            {"name": "refused", "source": "file:///etc/passwd"},
            "Invalid model version source",
        ),
        (
            "model-versions/create",
            {"name": "refused", "source": "models:/m-1", "model_id": "../x"},
            "logged model id",
        ),
    ],
)
@pytest.mark.reliability("B9")
async def test_invalid_writes_are_refused_with_mlflows_messages(
    jp_fetch, client, operation, body, message
):
    before = registered_names(client)
    code, error = await write(jp_fetch, "POST", operation, body)
    assert (code, error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert message in error["message"]
    assert registered_names(client) == before


async def test_a_write_accepts_only_its_own_method(jp_fetch):
    code, error = await write(jp_fetch, "PATCH", "registered-models/alias", {"name": "x"})
    assert (code, error["error_code"]) == (405, "METHOD_NOT_ALLOWED")
    assert "POST" in error["message"] and "DELETE" in error["message"]
    code, error = await write(jp_fetch, "POST", "model-versions/delete", {"name": "x"})
    assert (code, error["error_code"]) == (405, "METHOD_NOT_ALLOWED")
    code, error = await call(jp_fetch, "GET", "registry", "registered-models", "create")
    assert (code, error["error_code"]) == (405, "METHOD_NOT_ALLOWED")


async def test_status_reports_write_capabilities(jp_fetch):
    _, status = await call(jp_fetch, "GET", "status")
    assert status["capabilities"] == {"registry_write": True, "serving": True}


class TestReadOnlyRegistry:
    @pytest.fixture
    def jp_server_config(self, real_mlflow: MlflowServer):
        return {
            "ServerApp": {
                "jpserver_extensions": {"trackside": True},
                "authorizer_class": f"{__name__}.RegistryReadOnly",
            },
            "Trackside": {"tracking_uri": real_mlflow.url},
        }

    @pytest.mark.reliability("C13")
    async def test_capability_is_false_and_writes_are_403(self, jp_fetch, client):
        _, status = await call(jp_fetch, "GET", "status")
        assert status["capabilities"] == {"registry_write": False, "serving": True}
        code, error = await write(
            jp_fetch, "POST", "registered-models/create", {"name": "read-only-refused"}
        )
        assert (code, error["error_code"]) == (403, "PERMISSION_DENIED")
        assert "read-only-refused" not in registered_names(client)
        # Reads are still allowed.
        code, _ = await call(jp_fetch, "GET", "mlflow", "registered-models", "search")
        assert code == 200


# -- refusals observed from a recording peer --------------------------------------------------


class TestRefusalsNeverReachMlflow(AgainstRecordingPeer):
    async def test_a_valid_write_reaches_the_peer_with_its_method(self, jp_fetch, peer):
        # The positive control: the peer does see writes, DELETE with its body included.
        code, _ = await write(
            jp_fetch, "DELETE", "registered-models/alias", {"name": "m", "alias": "champion"}
        )
        assert code == 200
        assert [(m, p) for m, p, _ in peer.requests] == [
            ("DELETE", "/api/2.0/mlflow/registered-models/alias")
        ]
        assert peer.requests[0][2]["Content-Length"] != "0"

    @pytest.mark.parametrize(
        ("method", "operation", "body", "status"),
        [
            ("POST", "registered-models/delete", {"name": "m"}, 404),
            ("DELETE", "registered-models/delete", {"name": "m"}, 404),
            ("POST", "experiments/create", {"name": "m"}, 404),
            ("POST", "registered-models/create/../../experiments/create", {"name": "m"}, 404),
            ("POST", "model-versions/transition-stage", {"name": "m"}, 404),
            ("PATCH", "registered-models/create", {"name": "m"}, 405),
            ("DELETE", "registered-models/set-tag", {"name": "m"}, 405),
            (
                "POST",
                "registered-models/alias",
                {"name": "m", "alias": "latest", "version": 1},
                400,
            ),
            ("POST", "registered-models/alias", {"name": "m", "alias": "V12", "version": 1}, 400),
            ("DELETE", "model-versions/delete", {"name": "m", "version": "x"}, 400),
            ("PATCH", "registered-models/update", {"name": "m", "description": 5}, 400),
        ],
    )
    @pytest.mark.reliability("C5")
    async def test_refused_writes_never_reach_mlflow(
        self, jp_fetch, peer, method, operation, body, status
    ):
        code, error = await write(jp_fetch, method, operation, body)
        assert code == status, error
        assert set(error) == {"error_code", "message"}
        assert peer.requests == []

    async def test_malformed_bodies_never_reach_mlflow(self, jp_fetch, peer):
        for raw in ("{not json", "[1]", '"name"'):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch(
                    "trackside", "api", "registry", "registered-models", "create",
                    method="POST", body=raw,
                )  # fmt: skip
            assert info.value.code == 400
        assert peer.requests == []

    async def test_logged_model_id_becomes_one_quoted_segment(self, jp_fetch, peer):
        model_id = "m-" + "ab" * 16
        code, _ = await call(
            jp_fetch, "GET", "mlflow", "logged-models", "get", params={"model_id": model_id}
        )
        assert code == 200
        assert [p for _, p, _ in peer.requests] == [f"/api/2.0/mlflow/logged-models/{model_id}"]
        peer.requests.clear()
        for bad in ("../runs/delete", "m-1/artifacts", "m-1?x=1", "m 1", "%2e%2e", ""):
            code, error = await call(
                jp_fetch, "GET", "mlflow", "logged-models", "get", params={"model_id": bad}
            )
            assert (code, error["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), bad
        code, _ = await call(jp_fetch, "GET", "mlflow", "logged-models", "get")
        assert code == 400
        assert peer.requests == []

    @pytest.mark.reliability("C2")
    async def test_writes_without_xsrf_are_refused(
        self, peer, http_server_client, jp_base_url, jp_serverapp
    ):
        token = jp_serverapp.identity_provider.token
        login = await http_server_client.fetch(
            jp_base_url + f"api/status?token={token}", follow_redirects=False
        )
        cookies = "; ".join(c.split(";")[0] for c in login.headers.get_list("Set-Cookie"))
        assert cookies
        body = json.dumps({"name": "m", "alias": "champion"})
        for method in ("POST", "DELETE", "PATCH"):
            with pytest.raises(HTTPClientError) as info:
                await http_server_client.fetch(
                    jp_base_url + "trackside/api/registry/registered-models/alias",
                    method=method,
                    body=body,
                    headers={"Cookie": cookies},
                    allow_nonstandard_methods=True,
                )
            assert info.value.code == 403, method
        assert peer.requests == []


# -- the operation table, called directly ---------------------------------------------------------


def test_only_validated_fields_are_forwarded():
    path, body = validate_write(
        "model-versions/create",
        "POST",
        {"name": "m", "source": "runs:/abc/model", "run_id": "abc", "tags": []},
    )
    assert path == "api/2.0/mlflow/model-versions/create"
    assert body == {"name": "m", "source": "runs:/abc/model", "run_id": "abc", "tags": []}
    _, alias = validate_write(
        "registered-models/alias", "POST", {"name": "m", "alias": "champion", "version": 3}
    )
    assert alias == {"name": "m", "alias": "champion", "version": "3"}


def test_every_allow_listed_operation_is_an_mlflow_route_with_that_method():
    from mlflow.server.handlers import get_endpoints

    mlflow_routes = {
        (path.removeprefix("/api/2.0/mlflow/"), method)
        for path, _, methods in get_endpoints()
        for method in methods
        if path.startswith("/api/2.0/mlflow/")
    }
    for operation, methods in WRITE_OPERATIONS.items():
        for method, write_operation in methods.items():
            assert (write_operation.path, method) in mlflow_routes, (operation, method)
    for operation, read_methods in ALLOWED_OPERATIONS.items():
        _, template = PATH_PARAMETERS.get(operation, ("", operation))
        for method in read_methods:
            assert (template.format("<model_id>"), method) in mlflow_routes, (operation, method)
