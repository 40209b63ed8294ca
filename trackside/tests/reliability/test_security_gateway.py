"""Security probes of /trackside/api (C1 to C7, C10) that earlier test files did not cover.

The upstream is a recording peer: a refused request provably never left the Jupyter
server. A second peer stands for "elsewhere" (another host an attacker would like the
Jupyter server to call): it must never see a request. These rows exercise Trackside's
handlers, not the MLflow server behind them, so they run once ("any" backend).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest, HTTPResponse
from tornado.websocket import WebSocketError, websocket_connect

from ..peer_fixtures import AgainstRecordingPeer, trackside_config
from ..servers import RecordingPeer, recording_peer

XSRF = "trackside-test-xsrf"
SCRIPT = "<script>alert(1)</script>"
TAG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def elsewhere() -> Iterator[RecordingPeer]:
    with recording_peer() as running:
        yield running


async def fetch(http_server_client, url: str, **kwargs) -> HTTPResponse:
    """Any answer, refusals included (no exception for 4xx/5xx, no redirects followed)."""
    kwargs.setdefault("follow_redirects", False)
    kwargs.setdefault("allow_nonstandard_methods", True)
    return await http_server_client.fetch(url, raise_error=False, **kwargs)


async def login_cookies(http_server_client, jp_base_url: str, jp_serverapp) -> str:
    """The session cookie a browser holds after opening JupyterLab with the token."""
    token = jp_serverapp.identity_provider.token
    login = await fetch(http_server_client, jp_base_url + f"api/status?token={token}")
    cookies = "; ".join(c.split(";")[0] for c in login.headers.get_list("Set-Cookie"))
    assert cookies, "the token login should set a session cookie"
    return cookies


# -- C1: no token, no cookie -------------------------------------------------------------------

SERVED = "0123456789abcdef"
ROUTES = [
    ("GET", "trackside/api/status"),
    ("GET", "trackside/api/mlflow/runs/get?run_id=1"),
    ("POST", "trackside/api/mlflow/runs/search"),
    ("POST", "trackside/api/registry/registered-models/create"),
    ("DELETE", "trackside/api/registry/model-versions/delete"),
    ("GET", "trackside/api/artifacts/file?run_id=1&path=a.txt"),
    ("GET", "trackside/api/artifacts/list?run_id=1"),
    ("GET", "trackside/api/metrics/history?run_ids=1&keys=loss"),
    ("GET", "trackside/api/serving"),
    ("POST", "trackside/api/serving"),
    ("POST", f"trackside/api/serving/{SERVED}/predict"),
    ("DELETE", f"trackside/api/serving/{SERVED}"),
    ("GET", "trackside/api/projects/spec?path=MLproject"),
    ("POST", "trackside/api/projects/executions"),
    ("GET", f"trackside/api/projects/executions/{SERVED}/output"),
    ("DELETE", f"trackside/api/projects/executions/{SERVED}"),
    ("GET", "trackside/api/no-such-endpoint"),
]


class TestNoUnauthenticatedAccess(AgainstRecordingPeer):
    @pytest.fixture
    def jp_server_config(self, peer: RecordingPeer):
        return trackside_config(peer.url, allow_unauthenticated_access=False)

    @pytest.mark.reliability("C1")
    async def test_every_route_without_token_or_cookie_is_403(
        self, peer, http_server_client, jp_base_url, jp_auth_header
    ):
        for method, path in ROUTES:
            body = "{}" if method != "GET" else None
            answer = await fetch(http_server_client, jp_base_url + path, method=method, body=body)
            assert answer.code == 403, (method, path, answer.code)
            assert answer.headers["Content-Type"].startswith("application/json"), path
        assert peer.requests == []
        # The positive control: with the token, the same server does reach the peer.
        answer = await fetch(
            http_server_client,
            jp_base_url + "trackside/api/mlflow/runs/get?run_id=1",
            headers=jp_auth_header,
        )
        assert answer.code == 200
        assert len(peer.requests) == 1


# -- C2: what a cross-site page can send with the user's cookie --------------------------------


class TestCrossSitePosts(AgainstRecordingPeer):
    @pytest.mark.reliability("C2")
    async def test_cookie_posts_need_xsrf_and_the_jupyter_origin(
        self, peer, http_server_client, jp_base_url, jp_serverapp
    ):
        cookies = await login_cookies(http_server_client, jp_base_url, jp_serverapp)
        url = jp_base_url + "trackside/api/mlflow/runs/search"
        with_xsrf = {"Cookie": f"{cookies}; _xsrf={XSRF}", "X-XSRFToken": XSRF}
        refused = [
            # An HTML form posts text/plain (no preflight) and cannot add the XSRF header.
            {"Cookie": cookies, "Content-Type": "text/plain"},
            {"Cookie": f"{cookies}; _xsrf={XSRF}", "Content-Type": "text/plain"},
            {
                "Cookie": cookies,
                "Content-Type": "application/json",
                "Origin": "http://evil.example",
            },
            # Even with a matching XSRF pair, another origin is refused.
            {**with_xsrf, "Content-Type": "text/plain", "Origin": "http://evil.example"},
            {**with_xsrf, "Origin": "http://localhost:9999"},
            {**with_xsrf, "Origin": "null"},
        ]
        for headers in refused:
            answer = await fetch(http_server_client, url, method="POST", body="{}", headers=headers)
            assert answer.code in (403, 404), headers
            assert "access-control-allow-origin" not in {k.lower() for k in answer.headers}
        assert peer.requests == []
        # The positive control: the same cookie with the XSRF pair and no foreign Origin works.
        answer = await fetch(http_server_client, url, method="POST", body="{}", headers=with_xsrf)
        assert answer.code == 200
        assert [p for _, p, _ in peer.requests] == ["/api/2.0/mlflow/runs/search"]


# -- C3: an origin that only starts like the trusted one --------------------------------------

TRUSTED = "https://trusted.example.com"
SUFFIX_TRICKS = [
    "https://trusted.example.com.evil.com",
    "https://trusted.example.com:443.evil.com",
    "https://trusted.example.comevil.com",
    "https://evil.com/https://trusted.example.com",
    "http://trusted.example.com",
]


@pytest.mark.parametrize(
    "setting", [{"allow_origin": TRUSTED}, {"allow_origin_pat": r"https://trusted\.example\.com"}]
)
class TestOriginsMatchInFull(AgainstRecordingPeer):
    @pytest.fixture
    def jp_server_config(self, peer: RecordingPeer, setting):
        return trackside_config(peer.url, **setting)

    @pytest.mark.reliability("C3")
    async def test_the_suffix_trick_is_refused(
        self, peer, http_server_client, jp_base_url, jp_serverapp, setting
    ):
        cookies = await login_cookies(http_server_client, jp_base_url, jp_serverapp)
        headers = {"Cookie": f"{cookies}; _xsrf={XSRF}", "X-XSRFToken": XSRF}
        url = jp_base_url + "trackside/api/mlflow/runs/search"
        for origin in SUFFIX_TRICKS:
            for method in ("POST", "OPTIONS"):
                answer = await fetch(
                    http_server_client,
                    url,
                    method=method,
                    body="{}" if method == "POST" else None,
                    headers={**headers, "Origin": origin, "Access-Control-Request-Method": "POST"},
                )
                assert answer.headers.get("Access-Control-Allow-Origin") in (None, TRUSTED)
                if method == "POST":
                    assert answer.code in (403, 404), origin
        assert peer.requests == []
        # The positive control: the trusted origin itself, in full, is let through.
        answer = await fetch(
            http_server_client,
            url,
            method="POST",
            body="{}",
            headers={**headers, "Origin": TRUSTED},
        )
        assert answer.code == 200
        assert len(peer.requests) == 1


# -- C4: making the Jupyter server call another host -------------------------------------------


class TestOtherHosts(AgainstRecordingPeer):
    @pytest.mark.reliability("C4")
    async def test_no_request_form_reaches_another_host(
        self, peer, elsewhere, http_server_client, jp_base_url, jp_auth_header
    ):
        other = elsewhere.url.removeprefix("http://")
        absolute = f"http://{other}/api/2.0/mlflow/runs/get"
        attempts = [
            f"trackside/api/mlflow/{absolute}",
            f"trackside/api/mlflow/{quote(absolute, safe='')}",
            f"trackside/api/mlflow/{quote(quote(absolute, safe=''), safe='')}",
            f"trackside/api/mlflow//{other}/runs/get",
            f"trackside/api/mlflow/%2F%2F{other}%2Fruns%2Fget",
            f"trackside/api/mlflow/@{other}/runs/get",
            f"trackside/api/mlflow/runs/get@{other}",
            "trackside/api/mlflow/runs/get/%2e%2e%2f%2e%2e%2fhealth",
            "trackside/api/mlflow/runs/get/%252e%252e%252f%252e%252e%252fhealth",
            "trackside/api/mlflow/runs%2fget%2f..%2f..%2fexperiments%2fdelete",
            f"trackside/api/mlflow/\\\\{other}\\runs\\get",
            f"trackside/api/mlflow/%5c%5c{other}%5cruns%5cget",
            f"trackside/api/mlflow/runs\\..\\..\\{other}",
            f"trackside/api/artifacts/file?run_id=1&path=//{other}/x",
            f"trackside/api/artifacts/file?run_id=1&path={quote(absolute, safe='')}",
            f"trackside/api/artifacts/file?run_id=1&path=%5c%5c{other}%5cx",
            f"trackside/api/metrics/history?run_ids=1&keys=loss&host={other}",
        ]
        for path in attempts:
            answer = await fetch(http_server_client, jp_base_url + path, headers=jp_auth_header)
            assert answer.code in (400, 404), (path, answer.code)
        # Headers and query arguments that name a host change nothing: only the peer is called.
        for headers in (
            {"Host": other},
            {"Host": "evil.example"},
            {"X-Forwarded-Host": other, "Forwarded": f"host={other}", "X-Original-URL": absolute},
        ):
            answer = await fetch(
                http_server_client,
                jp_base_url + f"trackside/api/mlflow/runs/get?run_id=1&url={quote(absolute)}",
                headers={**jp_auth_header, **headers},
            )
            assert answer.code in (200, 403), headers
        for _, _, sent in peer.requests:
            assert sent["Host"] == peer.url.removeprefix("http://")
        # An upstream redirect toward elsewhere is not followed.
        peer.answers["/api/2.0/mlflow/runs/get"] = (302, {"Location": absolute}, b"")
        answer = await fetch(
            http_server_client,
            jp_base_url + "trackside/api/mlflow/runs/get?run_id=1",
            headers=jp_auth_header,
        )
        assert answer.code == 502
        assert elsewhere.requests == []


# -- C5: MLflow operations outside the allow-list ----------------------------------------------


FORBIDDEN = [
    ("POST", "mlflow/jobs/search", {}),
    ("POST", "mlflow/jobs/submit", {"function_fullname": "os.system"}),
    ("GET", "mlflow/gateway/endpoints/list", None),
    ("POST", "mlflow/gateway/endpoints/create", {"name": "e"}),
    ("POST", "mlflow/endpoints/create", {"name": "e"}),
    ("POST", "mlflow/webhooks/create", {"url": "http://evil.example"}),
    ("GET", "mlflow/webhooks/list", None),
    ("POST", "mlflow/users/create", {"username": "u", "password": "p"}),
    ("GET", "mlflow/users/get?username=admin", None),
    ("PATCH", "mlflow/users/update-password", {"username": "admin", "password": "x"}),
    ("POST", "mlflow/experiments/create", {"name": "e", "artifact_location": "file:///etc"}),
    ("POST", "registry/experiments/create", {"name": "e", "artifact_location": "file:///etc"}),
    (
        "POST",
        "registry/model-versions/create",
        {"name": "m", "source": "file:///etc", "run_id": "0" * 32},
    ),
    ("POST", "registry/model-versions/create", {"name": "m", "source": "/etc/passwd"}),
    ("POST", "registry/model-versions/create", {"name": "m", "source": "s3://bucket/x"}),
    ("GET", "mlflow/artifacts/get?run_id=1&path=../../mlflow.db", None),
    ("GET", "mlflow/get-artifact?run_id=1&path=../../mlflow.db", None),
    ("GET", "artifacts/file?run_id=1&path=../../mlflow.db", None),
    ("GET", "artifacts/file?run_id=1&path=%2e%2e/mlflow.db", None),
    ("DELETE", "mlflow/runs/get?run_id=1", {}),
    ("DELETE", "mlflow/runs/delete", {"run_id": "1"}),
    ("DELETE", "mlflow/experiments/delete", {"experiment_id": "0"}),
    ("DELETE", "registry/registered-models/delete", {"name": "m"}),
    ("POST", "mlflow/runs/log-batch", {"run_id": "1"}),
    ("POST", "mlflow/runs/create", {"experiment_id": "0"}),
    ("POST", "mlflow/runs/set-tag", {"run_id": "1", "key": "k", "value": "v"}),
    ("POST", "mlflow/experiments/set-experiment-tag", {"experiment_id": "0"}),
    ("POST", "mlflow/traces", {}),
    ("POST", "mlflow/scorers/register", {}),
    ("PUT", "mlflow/artifacts/upload", {}),
    ("GET", "mlflow/../../api/status", None),
]


class TestAllowList(AgainstRecordingPeer):
    @pytest.mark.reliability("C5")
    @pytest.mark.parametrize(
        ("method", "path", "body"), FORBIDDEN, ids=[p for _, p, _ in FORBIDDEN]
    )
    async def test_operations_outside_the_allow_list_never_reach_mlflow(
        self, peer, http_server_client, jp_base_url, jp_auth_header, method, path, body
    ):
        answer = await fetch(
            http_server_client,
            jp_base_url + "trackside/api/" + path,
            method=method,
            body=json.dumps(body) if body is not None else None,
            headers={**jp_auth_header, "Content-Type": "application/json"},
        )
        assert answer.code in (400, 403, 404, 405), answer.code
        error = json.loads(answer.body)
        assert set(error) == {"error_code", "message"}
        assert peer.requests == []


# -- C6: script reflected through paths, queries and upstream errors ---------------------------


class TestReflectedMarkup(AgainstRecordingPeer):
    @pytest.mark.reliability("C6")
    async def test_reflected_markup_comes_back_only_as_nosniff_json(
        self, peer, http_server_client, jp_base_url, jp_auth_header
    ):
        peer.answers["/api/2.0/mlflow/runs/get"] = (
            400,
            {"Content-Type": "application/json"},
            json.dumps(
                {"error_code": "INVALID_PARAMETER_VALUE", "message": f"bad {SCRIPT}"}
            ).encode(),
        )
        probes = [
            ("GET", f"trackside/api/mlflow/{quote(SCRIPT)}"),
            ("GET", f"trackside/api/{quote(TAG)}"),
            ("GET", f"trackside/api/mlflow/runs/get?run_id={quote(SCRIPT)}"),
            ("GET", f"trackside/api/mlflow/logged-models/get?model_id={quote(TAG)}"),
            ("GET", f"trackside/api/artifacts/file?run_id=1&path={quote(SCRIPT)}%2f..%2f.."),
            ("GET", f"trackside/api/metrics/history?run_ids={quote(SCRIPT)}&keys={quote(TAG)}"),
            ("POST", f"trackside/api/registry/registered-models/create?x={quote(SCRIPT)}"),
            ("GET", f"trackside/api/projects/spec?path={quote(SCRIPT)}"),
            ("GET", f"trackside/api/serving/{quote(SCRIPT)}"),
        ]
        for method, path in probes:
            answer = await fetch(
                http_server_client,
                jp_base_url + path,
                method=method,
                body=json.dumps({"name": SCRIPT}) if method == "POST" else None,
                headers=jp_auth_header,
            )
            assert answer.code >= 400, path
            assert answer.headers["Content-Type"].startswith("application/json"), path
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path
            json.loads(answer.body)  # JSON, never an HTML error page
            assert b"<script" not in answer.body.lower(), (path, answer.body)
            assert b"<img" not in answer.body.lower(), (path, answer.body)


# -- C7: websockets ----------------------------------------------------------------------------


class TestWebsockets(AgainstRecordingPeer):
    @pytest.mark.reliability("C7")
    async def test_no_trackside_endpoint_upgrades_to_a_websocket(
        self, http_server_client, jp_base_url, jp_auth_header
    ):
        ws_base = f"ws://127.0.0.1:{http_server_client.get_http_port()}{jp_base_url}"
        for path in ("trackside/api/status", "trackside/api/mlflow/runs/get", "trackside/api/x"):
            for headers in ({}, {"Origin": "http://evil.example"}, jp_auth_header):
                request = HTTPRequest(ws_base + path, headers=headers, request_timeout=10)
                # Refused (4xx), or answered as plain HTTP: never switched to a websocket.
                with pytest.raises((HTTPClientError, WebSocketError)) as info:
                    connection = await websocket_connect(request)
                    connection.close()  # only reached if it was (wrongly) upgraded
                if isinstance(info.value, HTTPClientError):
                    assert info.value.code in (400, 403, 404, 405), (path, headers)
                else:
                    assert headers == jp_auth_header, "without auth it must be a 4xx"


# -- C10: secrets in answers and logs, 5xx included --------------------------------------------


class TestSecretsStayOnTheServer(AgainstRecordingPeer):
    PASSWORD = "s3cr3t-pa55"
    TOKEN = "tok-9f8e7d6c"

    @pytest.fixture
    def jp_server_config(self, peer: RecordingPeer):
        host = peer.url.removeprefix("http://")
        return trackside_config(f"http://alice:{self.PASSWORD}@{host}")

    @pytest.mark.reliability("C10")
    async def test_no_answer_or_log_line_holds_the_upstream_credentials(
        self, peer, http_server_client, jp_base_url, jp_auth_header, caplog
    ):
        caplog.set_level(logging.DEBUG)
        peer.answers["/api/2.0/mlflow/runs/get"] = (
            500,
            {"Content-Type": "text/html"},
            f"Traceback: {peer.url} refused alice:{self.PASSWORD}".encode(),
        )
        peer.answers["/api/2.0/mlflow/experiments/get"] = (
            503,
            {"Content-Type": "application/json"},
            b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down"}',
        )
        bodies = []
        for path in (
            "trackside/api/status",
            "trackside/api/mlflow/runs/get?run_id=1",
            "trackside/api/mlflow/experiments/get?experiment_id=1",
            "trackside/api/metrics/history?run_ids=1&keys=loss",
            "trackside/api/artifacts/file?run_id=1&path=a.txt",
            "trackside/api/mlflow/no-such-operation",
        ):
            answer = await fetch(http_server_client, jp_base_url + path, headers=jp_auth_header)
            bodies.append(answer.body)
            for value in answer.headers.get_all():
                assert self.PASSWORD not in value[1], (path, value)
        status = json.loads(bodies[0])
        assert "alice" not in status["tracking_uri"] and "@" not in status["tracking_uri"]
        for body in bodies:
            assert self.PASSWORD.encode() not in body
        assert self.PASSWORD not in caplog.text
        # The positive control: the credentials did go to MLflow, as a header.
        assert any(
            sent.get("Authorization", "").startswith("Basic ") for _, _, sent in peer.requests
        )
