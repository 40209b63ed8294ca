"""C13: under a read-only Jupyter authorizer, Trackside reads work and every write is 403.

A JupyterHub deployment may give a user read access only. Writes are the registry's,
serving's (start, stop, predict) and projects' (start, stop); each must be refused by
the handler's ``@authorized`` before anything reaches MLflow or starts a process.
"""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer

from ..peer_fixtures import AgainstRecordingPeer
from ..servers import RecordingPeer

SOME_ID = "0123456789abcdef"
WRITES = [
    ("POST", "registry/registered-models/create", {"name": "m"}),
    ("PATCH", "registry/registered-models/update", {"name": "m", "description": "d"}),
    ("DELETE", "registry/registered-models/alias", {"name": "m", "alias": "champion"}),
    ("POST", "registry/model-versions/create", {"name": "m", "source": "models:/m-1"}),
    ("DELETE", "registry/model-versions/delete", {"name": "m", "version": "1"}),
    ("POST", "serving", {"name": "m", "version": "1"}),
    ("DELETE", f"serving/{SOME_ID}", None),
    ("POST", f"serving/{SOME_ID}/predict", {"inputs": [[1]]}),
    ("POST", "projects/executions", {"path": "MLproject", "entry_point": "main"}),
    ("DELETE", f"projects/executions/{SOME_ID}", None),
]
READS = ["mlflow/experiments/search?max_results=1", "serving", "projects/executions"]


class ReadOnly(Authorizer):
    """Every resource may be read; nothing may be written or executed."""

    def is_authorized(self, handler, user, action, resource):
        return action == "read"


class TestReadOnlyAuthorizer(AgainstRecordingPeer):
    @pytest.fixture
    def jp_server_config(self, peer: RecordingPeer):
        return {
            "ServerApp": {
                "jpserver_extensions": {"trackside": True},
                "authorizer_class": f"{__name__}.ReadOnly",
            },
            "Trackside": {"tracking_uri": peer.url},
        }

    @pytest.mark.reliability("C13")
    async def test_reads_are_allowed_and_every_write_is_403(
        self, peer, http_server_client, jp_base_url, jp_auth_header, jp_serverapp
    ):
        async def send(method: str, path: str, body: object = None):
            return await http_server_client.fetch(
                jp_base_url + "trackside/api/" + path,
                method=method,
                body=json.dumps(body) if body is not None else None,
                headers={**jp_auth_header, "Content-Type": "application/json"},
                raise_error=False,
                allow_nonstandard_methods=True,
            )

        status = json.loads((await send("GET", "status")).body)
        assert status["capabilities"] == {"registry_write": False, "serving": False}
        for path in READS:
            answer = await send("GET", path)
            assert answer.code == 200, (path, answer.body)
        # (The status answer's health probe goes to /health and /version.)
        assert [p for _, p, _ in peer.requests if p.startswith("/api/")] == [
            "/api/2.0/mlflow/experiments/search?max_results=1"
        ]
        peer.requests.clear()

        for method, path, body in WRITES:
            answer = await send(method, path, body)
            assert answer.code == 403, (method, path, answer.code, answer.body)
            assert json.loads(answer.body)["error_code"] == "PERMISSION_DENIED"
        assert peer.requests == []
        settings = jp_serverapp.web_app.settings
        assert settings["trackside_serving"].list() == []
        assert settings["trackside_projects"].list() == []
