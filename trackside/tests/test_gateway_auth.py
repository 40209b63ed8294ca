"""The gateway in front of an MLflow server with authentication on (``--app-name basic-auth``).

MLflow's auth app refuses in plain text, not JSON; the gateway must still say what happened
instead of "not JSON". The real basic-auth server is exercised in test_jupyterhub.py.
"""

from __future__ import annotations

import pytest

from trackside.server.gateway import GatewayError, forward
from trackside.server.upstream import Upstream

from .servers import recording_peer

PLAIN = {"Content-Type": "text/html; charset=utf-8"}


@pytest.mark.parametrize(
    ("status", "body", "answer", "error_code", "words"),
    [
        (403, b"Permission denied", 403, "PERMISSION_DENIED", "denies this to your MLflow user"),
        (401, b"You are not authenticated.", 502, "UNAUTHENTICATED", "MLFLOW_TRACKING_USERNAME"),
    ],
)
async def test_plain_text_refusals_become_mlflow_errors(status, body, answer, error_code, words):
    with recording_peer() as peer:
        peer.answers["/api/2.0/mlflow/experiments/search"] = (status, PLAIN, body)
        with pytest.raises(GatewayError) as caught:
            await forward(Upstream(peer.url), "experiments/search", "GET", {}, None)
    assert (caught.value.status, caught.value.error_code) == (answer, error_code)
    assert words in str(caught.value)
    assert peer.url in str(caught.value)


async def test_other_plain_text_answers_stay_bad_upstream():
    with recording_peer() as peer:
        peer.answers["/api/2.0/mlflow/experiments/search"] = (500, PLAIN, b"oops")
        with pytest.raises(GatewayError) as caught:
            await forward(Upstream(peer.url), "experiments/search", "GET", {}, None)
    assert (caught.value.status, caught.value.error_code) == (502, "TRACKSIDE_BAD_UPSTREAM")
