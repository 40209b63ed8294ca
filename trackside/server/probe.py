"""Ask an address whether an MLflow tracking server answers there."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .upstream import Upstream

HEALTH_PATH = "health"
VERSION_PATH = "version"
# A cheap read-only call that only an MLflow tracking server answers with this shape.
READ_CHECK_PATH = "api/2.0/mlflow/experiments/search?max_results=1"


@dataclass(frozen=True)
class ProbeResult:
    healthy: bool
    is_mlflow: bool
    version: str | None = None
    error: str | None = None


def port_is_free(host: str, port: int) -> bool:
    """True when nothing accepts connections on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As a server binds (uvicorn does): connections of a stopped server that linger
        # in TIME_WAIT do not make the port unusable; a listening socket still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _no_redirects() -> urllib.request.OpenerDirector:
    class _Refuse(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return urllib.request.build_opener(_Refuse)


def probe_sync(upstream: Upstream, timeout: float = 1.0) -> ProbeResult:
    """Blocking probe, for the one decision taken while the server starts up."""
    opener = _no_redirects()

    def get(path: str) -> bytes:
        request = urllib.request.Request(upstream.url(path), headers=dict(upstream.headers))
        with opener.open(request, timeout=timeout) as response:
            return bytes(response.read(65536))

    try:
        if get(HEALTH_PATH).strip() != b"OK":
            return ProbeResult(healthy=False, is_mlflow=False, error="/health did not say OK")
        payload = json.loads(get(READ_CHECK_PATH))
        if not isinstance(payload, dict):
            return ProbeResult(healthy=False, is_mlflow=False, error="unexpected answer")
        version = get(VERSION_PATH).decode("utf-8", "replace").strip() or None
    except (urllib.error.URLError, OSError, ValueError) as err:
        return ProbeResult(healthy=False, is_mlflow=False, error=str(err))
    return ProbeResult(healthy=True, is_mlflow=True, version=version)


async def probe(upstream: Upstream, timeout: float = 2.0) -> ProbeResult:
    """Non-blocking probe: /health, then /version."""
    client = AsyncHTTPClient()

    async def get(path: str) -> str:
        request = HTTPRequest(
            upstream.url(path),
            headers=dict(upstream.headers),
            follow_redirects=False,
            connect_timeout=timeout,
            request_timeout=timeout,
        )
        response = await client.fetch(request)
        return response.body.decode("utf-8", "replace").strip()

    try:
        if await get(HEALTH_PATH) != "OK":
            return ProbeResult(healthy=False, is_mlflow=False, error="/health did not say OK")
        version = await get(VERSION_PATH)
    except HTTPClientError as err:
        return ProbeResult(healthy=False, is_mlflow=False, error=f"HTTP {err.code}: {err}")
    except (OSError, TimeoutError) as err:
        return ProbeResult(healthy=False, is_mlflow=False, error=str(err) or type(err).__name__)
    return ProbeResult(healthy=True, is_mlflow=True, version=version or None)
