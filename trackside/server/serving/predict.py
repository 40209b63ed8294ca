"""Call one served model's scoring server and shape its answer for the predict form.

The request goes only to ``http://127.0.0.1:<its port>/invocations``, a port Trackside
chose; the browser names a served model by id, never a host or port.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ..gateway import GatewayError

MAX_PREDICT_BYTES = 5 * 1024 * 1024
# MLflow's scoring server gives up on a request after MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT
# (60 s by default) and answers 504 itself; wait a little longer than that.
REQUEST_TIMEOUT = 75.0
SCORING_KEYS = "dataframe_split, dataframe_records, inputs or instances"


def check_predict_body(raw: bytes, limit: int = MAX_PREDICT_BYTES) -> bytes:
    """The body to forward as it is, once known to be a JSON object within ``limit`` bytes."""
    if len(raw) > limit:
        raise GatewayError(
            413,
            "RESOURCE_EXHAUSTED",
            f"The predict request is {len(raw):,} bytes; at most {limit:,} bytes are accepted.",
        )
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GatewayError(
            400, "MALFORMED_REQUEST", f"The predict request is not valid JSON: {err}"
        ) from err
    if not isinstance(payload, dict):
        raise GatewayError(
            400,
            "MALFORMED_REQUEST",
            f"The predict request must be a JSON object with {SCORING_KEYS} "
            f"(MLflow's scoring format), not a JSON {type(payload).__name__}.",
        )
    return raw


def _error_of(status: int, body: bytes) -> dict[str, str]:
    """MLflow's error (``error_code``, ``message``) from a failed scoring request."""
    text = body.decode("utf-8", "replace")
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "message" in payload:
        return {
            "error_code": str(payload.get("error_code") or "BAD_REQUEST"),
            "message": str(payload["message"]),
        }
    # Plain-text answers: 415 (content type), 504 (the scoring server's own timeout).
    code = {504: "DEADLINE_EXCEEDED", 415: "BAD_REQUEST"}.get(status, "INTERNAL_ERROR")
    return {"error_code": code, "message": text.strip() or f"HTTP {status}"}


async def invoke(port: int, body: bytes) -> dict[str, Any]:
    """POST ``body`` to the scoring server on ``port``: ``{status, latency_ms, predictions |
    error}``. Raises a 503 ``GatewayError`` when nothing answers there."""
    request = HTTPRequest(
        f"http://127.0.0.1:{port}/invocations",
        method="POST",
        body=body,
        headers={"Content-Type": "application/json"},
        follow_redirects=False,
        connect_timeout=5.0,
        request_timeout=REQUEST_TIMEOUT,
    )
    started = time.perf_counter()
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, HTTPClientError) as err:  # refused, reset, timed out: no HTTP answer
        raise GatewayError(
            503, "TEMPORARILY_UNAVAILABLE", f"The served model did not answer: {err}"
        ) from err
    latency_ms = (time.perf_counter() - started) * 1000.0
    answer: dict[str, Any] = {"status": response.code, "latency_ms": round(latency_ms, 3)}
    if response.code == 200:
        payload = json.loads(response.body or b"null")
        # MLflow wraps predictions in {"predictions": ...} except for its unified LLM format.
        is_wrapped = isinstance(payload, dict) and "predictions" in payload
        answer["predictions"] = payload["predictions"] if is_wrapped else payload
    else:
        answer["error"] = _error_of(response.code, response.body or b"")
    return answer
