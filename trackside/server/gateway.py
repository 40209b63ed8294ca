"""Forward an allow-listed set of MLflow REST calls to the fixed upstream.

Nothing in a request chooses where it goes: the operation must be a key of
``ALLOWED_OPERATIONS`` (reads) or of ``registry_writes.WRITE_OPERATIONS`` (writes),
compared as a whole string; the upstream path is built from those constants (an id
that MLflow wants in the path is validated and quoted as one segment), the query is
re-encoded from parsed arguments, the body must be a JSON object, and redirects are
never followed. Reads and writes share ``call_mlflow``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .upstream import Upstream

MLFLOW_API_PREFIX = "api/2.0/mlflow/"
MAX_BODY_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 256 * 1024 * 1024
REQUEST_TIMEOUT = 60.0

# Read operations: operation -> the HTTP methods MLflow accepts for it. Writes live in
# registry_writes.py, each with its own method and validator.
ALLOWED_OPERATIONS: Mapping[str, frozenset[str]] = {
    "experiments/search": frozenset({"GET", "POST"}),
    "experiments/get": frozenset({"GET"}),
    "experiments/get-by-name": frozenset({"GET"}),
    "runs/search": frozenset({"POST"}),
    "runs/get": frozenset({"GET"}),
    "metrics/get-history": frozenset({"GET"}),
    "artifacts/list": frozenset({"GET"}),
    "registered-models/search": frozenset({"GET"}),
    "registered-models/get": frozenset({"GET"}),
    "registered-models/alias": frozenset({"GET"}),
    "model-versions/search": frozenset({"GET"}),
    "model-versions/get": frozenset({"GET"}),
    "logged-models/search": frozenset({"POST"}),
    "logged-models/get": frozenset({"GET"}),
}

# Operations whose MLflow path holds an id: operation -> (query argument, path template).
# The argument leaves the query and becomes exactly one validated, quoted path segment.
PATH_PARAMETERS: Mapping[str, tuple[str, str]] = {
    "logged-models/get": ("model_id", "logged-models/{}"),
}

# MLflow's LoggedModel ids look like m-<32 hex digits>; this is looser but allows no
# character that could change a URL's path or query.
MODEL_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
METHODS_WITH_BODY = frozenset({"POST", "PATCH", "DELETE"})


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


def validate_model_id(value: object) -> str:
    """A LoggedModel id that is safe to use as one URL path segment, or a 400."""
    if not isinstance(value, str) or not MODEL_ID_PATTERN.match(value):
        raise GatewayError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"Invalid value {value!r} for parameter 'model_id': a logged model id is 1 to 64 "
            "letters, digits, '-' or '_' (for example m-0123456789abcdef0123456789abcdef).",
        )
    return value


def single_value(query: Mapping[str, list[str]], name: str) -> str:
    values = query.get(name) or []
    if len(values) != 1:
        raise GatewayError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"Exactly one '{name}' query argument is required, got {len(values)}.",
        )
    return values[0]


def operation_path(
    operation: str, query: Mapping[str, list[str]]
) -> tuple[str, Mapping[str, list[str]]]:
    """MLflow's path for an allow-listed read, and the query left for it."""
    parameter = PATH_PARAMETERS.get(operation)
    if parameter is None:
        return MLFLOW_API_PREFIX + operation, query
    name, template = parameter
    model_id = validate_model_id(single_value(query, name))
    rest = {key: values for key, values in query.items() if key != name}
    return MLFLOW_API_PREFIX + template.format(quote(model_id, safe="")), rest


async def forward(
    upstream: Upstream,
    operation: str,
    method: str,
    query: Mapping[str, list[str]],
    body: dict[str, object] | None,
) -> GatewayResponse:
    """Send one allow-listed read upstream and return MLflow's JSON answer."""
    check_operation(operation, method)
    path, rest = operation_path(operation, query)
    return await call_mlflow(upstream, path, method, rest, body)


async def call_mlflow(
    upstream: Upstream,
    path: str,
    method: str,
    query: Mapping[str, list[str]],
    body: dict[str, object] | None,
) -> GatewayResponse:
    """The one way a JSON call reaches MLflow: ``path`` comes from Trackside's own tables,
    the query is re-encoded, redirects are refused and the answer must be a JSON object."""
    url = upstream.url(path)
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
        body=json.dumps(body or {}) if method in METHODS_WITH_BODY else None,
        # MLflow reads DELETE parameters from a JSON body, which tornado refuses by default.
        allow_nonstandard_methods=method == "DELETE",
        follow_redirects=False,
        connect_timeout=10.0,
        request_timeout=REQUEST_TIMEOUT,
    )
    client = AsyncHTTPClient(force_instance=False, max_body_size=MAX_RESPONSE_BYTES)
    try:
        response = await client.fetch(request, raise_error=False)
    except (OSError, TimeoutError) as err:
        raise unavailable(upstream, err) from err
    except HTTPClientError as err:  # only raised for 599-style failures when raise_error=False
        raise unavailable(upstream, err) from err
    if response.code == 599:
        raise no_answer(upstream, response.error)
    if 300 <= response.code < 400:
        raise redirected()
    try:
        payload = json.loads(response.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        if response.code in (401, 403):  # MLflow's basic-auth app answers these in plain text
            raise refused(upstream, response.code) from err
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
        payload = mlflow_error(payload, response.code)
    return GatewayResponse(status=response.code, body=payload)


def mlflow_error(payload: Mapping[str, object], status: int) -> dict[str, object]:
    """MLflow's error code and message, without the rest of its error answer."""
    return {
        "error_code": str(payload.get("error_code") or "INTERNAL_ERROR"),
        "message": str(payload.get("message") or f"MLflow answered HTTP {status}"),
    }


def no_answer(upstream: Upstream, error: BaseException | None) -> GatewayError:
    error = error or Exception("no answer")
    if isinstance(error, TimeoutError) or "Timeout" in type(error).__name__:
        return GatewayError(
            504,
            "TRACKSIDE_BACKEND_TIMEOUT",
            f"The MLflow server at {upstream.public_uri} did not answer in time.",
        )
    return unavailable(upstream, error)


def refused(upstream: Upstream, status: int) -> GatewayError:
    """MLflow's authentication said no: the Jupyter server's MLflow user is unknown (401: a
    server set-up problem, so not the browser's 401) or lacks the permission (403)."""
    if status == 401:
        return GatewayError(
            502,
            "UNAUTHENTICATED",
            f"The MLflow server at {upstream.public_uri} asks for a login: set "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD in the Jupyter server's "
            "environment.",
        )
    return GatewayError(
        403,
        "PERMISSION_DENIED",
        f"The MLflow server at {upstream.public_uri} denies this to your MLflow user.",
    )


def redirected() -> GatewayError:
    return GatewayError(
        502,
        "TRACKSIDE_BAD_UPSTREAM",
        "The MLflow server answered with a redirect; Trackside does not follow redirects.",
    )


def unavailable(upstream: Upstream, error: BaseException) -> GatewayError:
    return GatewayError(
        502,
        "TRACKSIDE_BACKEND_UNAVAILABLE",
        f"The MLflow server at {upstream.public_uri} cannot be reached: {error}",
    )
