"""The embedded MLflow server's app: MLflow's basic-auth app, same-origin only.

Run as ``mlflow server --app-name trackside-embedded`` (an ``mlflow.app`` entry point in
pyproject). MLflow's own security middleware always lets localhost origins make
credentialed cross-origin requests (its CORS settings only add origins), so any page served
from any local port could read and write the user's runs. The embedded server's only
clients are the Jupyter server, kernels and the processes they start, none of which is a
browser: here a request whose ``Origin`` is not the server's own is refused before MLflow
sees it, and no response carries a CORS allowance.

Loaded inside the ``mlflow server`` worker process: imports only the standard library at
module level.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CROSS_ORIGIN_REFUSED = (
    b'{"error_code": "PERMISSION_DENIED", "message": "Cross-origin requests are refused: '
    b"this MLflow server is Trackside's embedded server, used only by the Jupyter server "
    b'and its kernels."}'
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def is_same_origin(scope: Scope) -> bool:
    """True without an ``Origin`` header, or when it names this very server (its UI)."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    host = _header(scope, b"host")
    return host is not None and origin == f"{scope.get('scheme', 'http')}://{host}"


class SameOriginOnly:
    """ASGI middleware: refuse cross-origin HTTP requests, strip CORS response headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not is_same_origin(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"x-content-type-options", b"nosniff"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": CROSS_ORIGIN_REFUSED})
            return

        async def without_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (key, value)
                    for key, value in message.get("headers", [])
                    if not bytes(key).lower().startswith(b"access-control-")
                ]
            await send(message)

        await self.app(scope, receive, without_cors)


def create_app() -> ASGIApp:
    """MLflow's basic-auth app (FastAPI under uvicorn), wrapped in :class:`SameOriginOnly`."""
    from mlflow.server.auth import create_app as create_basic_auth_app

    return SameOriginOnly(create_basic_auth_app())
