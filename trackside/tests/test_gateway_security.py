"""What the gateway refuses, observed from a recording peer standing in for the upstream.

The peer only records and answers; it lets a test prove that a refused request never
left the Jupyter server.
"""

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from trackside.server.probe import free_port

from .servers import RecordingPeer, recording_peer


@pytest.fixture
def peer() -> Iterator[RecordingPeer]:
    with recording_peer() as running:
        yield running


@pytest.fixture
def jp_server_config(peer: RecordingPeer):
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        "Trackside": {"tracking_uri": peer.url},
    }


def paths(peer: RecordingPeer) -> list[str]:
    return [path for _, path, _ in peer.requests]


async def test_allowed_call_reaches_the_peer_with_a_reencoded_query(jp_fetch, peer):
    response = await jp_fetch(
        "trackside", "api", "mlflow", "runs", "get", params={"run_id": "a b&c=d"}
    )
    assert response.code == 200
    assert paths(peer) == ["/api/2.0/mlflow/runs/get?run_id=a+b%26c%3Dd"]


@pytest.mark.reliability("C1")
async def test_unauthenticated_requests_get_403_and_never_reach_mlflow(
    jp_fetch, peer, http_server_client, jp_base_url
):
    for path in ("trackside/api/status", "trackside/api/mlflow/runs/get?run_id=x"):
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(jp_base_url + path)
        assert info.value.code == 403
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(
            jp_base_url + "trackside/api/mlflow/runs/search", method="POST", body="{}"
        )
    assert info.value.code == 403
    assert peer.requests == []


@pytest.mark.parametrize(
    "operation",
    [
        "experiments/create",
        "runs/delete",
        "model-versions/delete",
        "../../health",
        "runs/get/../../experiments/delete",
        "artifacts/list/extra",
    ],
)
@pytest.mark.reliability("C5")
async def test_forbidden_operations_never_reach_mlflow(jp_fetch, peer, operation):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("trackside", "api", "mlflow", operation, method="POST", body="{}")
    assert info.value.code == 404
    assert json.loads(info.value.response.body)["error_code"] == "ENDPOINT_NOT_FOUND"
    assert peer.requests == []


@pytest.mark.reliability("C4")
async def test_a_request_cannot_pick_another_host(
    jp_fetch, peer, http_server_client, jp_base_url, jp_auth_header
):
    elsewhere = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    attempts = [
        f"trackside/api/mlflow/{quote(elsewhere, safe='')}/api/2.0/mlflow/runs/get",
        f"trackside/api/mlflow/{elsewhere}/api/2.0/mlflow/runs/get",
        "trackside/api/mlflow/%2F%2Fexample.org%2Fruns%2Fget",
        "trackside/api/mlflow/@example.org/runs/get",
    ]
    for path in attempts:
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(jp_base_url + path, headers=jp_auth_header)
        assert info.value.code == 404, path
    assert peer.requests == []

    # Headers and query arguments that name a host change nothing: the call goes to the peer.
    response = await http_server_client.fetch(
        jp_base_url + f"trackside/api/mlflow/runs/get?run_id=1&host={quote(elsewhere)}",
        headers={
            **jp_auth_header,
            "X-Forwarded-Host": "example.org",
            "Forwarded": "host=example.org",
        },
    )
    assert response.code == 200
    ((_, path, headers),) = peer.requests
    assert path.startswith("/api/2.0/mlflow/runs/get?")
    assert headers["Host"] == peer.url.removeprefix("http://")


@pytest.mark.reliability("C4")
async def test_upstream_redirects_are_not_followed(jp_fetch, peer):
    target = "/api/2.0/mlflow/runs/get"
    peer.answers[target] = (302, {"Location": "http://example.org/steal"}, b"")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("trackside", "api", "mlflow", "runs", "get", params={"run_id": "1"})
    assert info.value.code == 502
    assert json.loads(info.value.response.body)["error_code"] == "TRACKSIDE_BAD_UPSTREAM"
    assert paths(peer) == [target + "?run_id=1"]


async def test_upstream_answer_that_is_not_json_is_a_clear_502(jp_fetch, peer):
    peer.answers["/api/2.0/mlflow/runs/get"] = (200, {"Content-Type": "text/html"}, b"<html>")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("trackside", "api", "mlflow", "runs", "get", params={"run_id": "1"})
    assert info.value.code == 502
    assert "not JSON" in json.loads(info.value.response.body)["message"]


@pytest.mark.reliability("C2")
async def test_xsrf_is_enforced_for_cookie_authenticated_posts(
    jp_fetch, peer, http_server_client, jp_base_url, jp_serverapp
):
    token = jp_serverapp.identity_provider.token
    # Log in with the token to get the session cookie a browser would hold.
    login = await http_server_client.fetch(
        jp_base_url + f"api/status?token={token}", follow_redirects=False
    )
    cookies = "; ".join(c.split(";")[0] for c in login.headers.get_list("Set-Cookie"))
    assert cookies, "the token login should set a session cookie"
    # The cookie alone authenticates a GET (so the refusal below is XSRF's doing) ...
    ok = await http_server_client.fetch(
        jp_base_url + "trackside/api/mlflow/runs/get?run_id=1", headers={"Cookie": cookies}
    )
    assert ok.code == 200
    # ... but a POST without the XSRF token is refused before reaching MLflow.
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(
            jp_base_url + "trackside/api/mlflow/runs/search",
            method="POST",
            body="{}",
            headers={"Cookie": cookies},
        )
    assert info.value.code == 403
    assert paths(peer) == ["/api/2.0/mlflow/runs/get?run_id=1"]


class TestUnreachableUpstream:
    @pytest.fixture
    def jp_server_config(self):
        closed = f"http://127.0.0.1:{free_port('127.0.0.1')}"
        return {
            "ServerApp": {"jpserver_extensions": {"trackside": True}},
            "Trackside": {"tracking_uri": closed},
        }

    async def test_status_and_calls_say_the_backend_is_unavailable(self, jp_fetch):
        response = await jp_fetch("trackside", "api", "status")
        status = json.loads(response.body)
        assert (status["healthy"], status["state"]) == (False, "unreachable")
        assert "does not answer" in status["message"]
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(
                "trackside", "api", "mlflow", "experiments", "search", method="POST", body="{}"
            )
        assert info.value.code == 502
        assert json.loads(info.value.response.body)["error_code"] == "TRACKSIDE_BACKEND_UNAVAILABLE"


def test_async_http_client_is_tornados(peer):
    # The gateway must not block the event loop: it uses tornado's non-blocking client.
    assert AsyncHTTPClient.configured_class().__module__.startswith("tornado.")
