"""Forward an allow-listed set of MLflow REST calls to the fixed upstream.

Nothing in a request chooses where it goes: the operation must be a key of
``ALLOWED_OPERATIONS`` (compared as a whole string), the upstream path is built
from that constant, the query is re-encoded from parsed arguments, the body must
be a JSON object, and redirects are never followed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .upstream import Upstream

MLFLOW_API_PREFIX = "api/2.0/mlflow/"
MAX_BODY_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
REQUEST_TIMEOUT = 60.0

# Read operations only, for now: operation -> the HTTP methods MLflow accepts for it.
ALLOWED_OPERATIONS: Mapping[str, frozenset[str]] = {
    "experiments/search": frozenset({"GET", "POST"}),
    "experiments/get": frozenset({"GET"}),
    "experiments/get-by-name": frozenset({"GET"}),
    "runs/search": frozenset({"POST"}),
    "runs/get": frozenset({"GET"}),
    "metrics/get-history": frozenset({"GET"}),
    "artifacts/list": frozenset({"GET"}),
}


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    body: dict[str, object]


class GatewayError(Exception):
    """A request Trackside refuses or cannot complete, as MLflow-shaped JSON."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


def check_operation(operation: str, method: str) -> None:
    allowed = ALLOWED_OPERATIONS.get(operation)
    if allowed is None:
        raise GatewayError(
            404, "ENDPOINT_NOT_FOUND", f"'{operation}' is not an operation Trackside forwards."
        )
    if method not in allowed:
        raise GatewayError(
            405,
            "METHOD_NOT_ALLOWED",
            f"'{operation}' accepts {', '.join(sorted(allowed))}, not {method}.",
        )


def parse_json_body(raw: bytes) -> dict[str, object]:
    if len(raw) > MAX_BODY_BYTES:
        raise GatewayError(413, "INVALID_PARAMETER_VALUE", "The request body is larger than 1 MB.")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GatewayError(
            400, "MALFORMED_REQUEST", f"The request body is not valid JSON: {err}"
        ) from err
    if not isinstance(body, dict):
        raise GatewayError(400, "MALFORMED_REQUEST", "The request body must be a JSON object.")
    return body


async def forward(
    upstream: Upstream,
    operation: str,
    method: str,
    query: Mapping[str, list[str]],
    body: dict[str, object] | None,
) -> GatewayResponse:
    """Send one allow-listed call upstream and return MLflow's JSON answer."""
    check_operation(operation, method)
    url = upstream.url(MLFLOW_API_PREFIX + operation)
    if query:
        url += "?" + urlencode([(key, value) for key, values in query.items() for value in values])
    request = HTTPRequest(
        url,
        method=method,
        headers={
            "Accept": "application/json",
            "Content-Type": "application/json",
            **upstream.headers,
        },
        body=json.dumps(body or {}) if method == "POST" else None,
        follow_redirects=False,
        connect_timeout=10.0,
        request_timeout=REQUEST_TIMEOUT,
    )
    client = AsyncHTTPClient(force_instance=False, max_body_size=MAX_RESPONSE_BYTES)
    try:
        response = await client.fetch(request, raise_error=False)
    except (OSError, TimeoutError) as err:
        raise _unavailable(upstream, err) from err
    except HTTPClientError as err:  # only raised for 599-style failures when raise_error=False
        raise _unavailable(upstream, err) from err
    if response.code == 599:
        error = response.error or Exception("no answer")
        if isinstance(error, TimeoutError) or "Timeout" in type(error).__name__:
            raise GatewayError(
                504,
                "TRACKSIDE_BACKEND_TIMEOUT",
                f"The MLflow server at {upstream.public_uri} did not answer in time.",
            )
        raise _unavailable(upstream, error)
    if 300 <= response.code < 400:
        raise GatewayError(
            502,
            "TRACKSIDE_BAD_UPSTREAM",
            "The MLflow server answered with a redirect; Trackside does not follow redirects.",
        )
    try:
        payload = json.loads(response.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GatewayError(
            502,
            "TRACKSIDE_BAD_UPSTREAM",
            f"The MLflow server answered HTTP {response.code} with a body that is not JSON.",
        ) from err
    if not isinstance(payload, dict):
        raise GatewayError(
            502,
            "TRACKSIDE_BAD_UPSTREAM",
            "The MLflow server answered with JSON that is not an object.",
        )
    if response.code >= 400:
        payload = {
            "error_code": str(payload.get("error_code") or "INTERNAL_ERROR"),
            "message": str(payload.get("message") or f"MLflow answered HTTP {response.code}"),
        }
    return GatewayResponse(status=response.code, body=payload)


def _unavailable(upstream: Upstream, error: BaseException) -> GatewayError:
    return GatewayError(
        502,
        "TRACKSIDE_BACKEND_UNAVAILABLE",
        f"The MLflow server at {upstream.public_uri} cannot be reached: {error}",
    )
