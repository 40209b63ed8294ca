"""Each request to MLflow has an overall deadline, not only a per-read timeout (slow-loris).

A fault proxy in front of a real ``mlflow server`` sends an answer's body one byte at a time,
each byte well within the per-read timeout: without an overall deadline the request would
last as long as the trickle (120 s here) and hold its sender slot, or, for the server identity
check, every slot.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from trackside.kernel.journal.batches import Batch
from trackside.kernel.journal.dead_letters import DeadLetters
from trackside.kernel.journal.records import JournalWriter, Metric, Param, read_ack
from trackside.kernel.journal.sender import BacklogSender
from trackside.kernel.journal.transport import (
    RejectedError,
    RestTransport,
    TransientError,
    make_transport,
)

from .kernel_helpers import create_run, history
from .reliability.fault_proxy import fault_proxy
from .servers import MlflowServer

TIMEOUT = 3.0  # the transport's bound per request
TRICKLE = 120.0  # seconds the proxy spreads an answer's body over


def _journal_of(tmp_path: Path, run_id: str, points: int) -> Path:
    """A kernel journal holding ``points`` points of metric ``x`` for ``run_id``."""
    journal = tmp_path / "k"
    journal.mkdir()
    JournalWriter(journal).append(
        [Metric(run_id, "x", i * 0.5, 1000 + i, i) for i in range(points)]
    )
    return journal


def _drain_through(url: str, journal: Path, timeout: float, in_flight: int, limit: float) -> None:
    """Send ``journal`` to ``url`` with a sender of short backoffs; fail past ``limit`` s."""
    backlog = BacklogSender(
        journal,
        RestTransport(url, timeout=timeout),
        DeadLetters(journal.parent / "dead.jsonl", journal.name, url),
        threading.Event(),
        backoff_cap=0.5,
        in_flight=in_flight,
    )
    started = time.monotonic()
    try:
        while not (backlog.reader.exhausted and backlog.idle()):
            backlog.step(final=True)
            assert time.monotonic() - started < limit, f"not drained within {limit:g} s"
    finally:
        backlog.close()


def test_a_trickled_identity_answer_is_abandoned_at_the_deadline(real_mlflow: MlflowServer) -> None:
    with fault_proxy(real_mlflow.url) as proxy:
        transport = RestTransport(proxy.url, timeout=TIMEOUT)
        expected = transport.server_identity()  # keep-alive connection in the pool
        proxy.slow_body("/experiments/get", seconds=TRICKLE, times=1)
        started = time.monotonic()
        with pytest.raises(TransientError):  # "did not arrive in time" (or, on a very busy
            transport.server_identity()  # machine, the headers' own read timeout)
        took = time.monotonic() - started
        # the body is a few hundred bytes over 120 s: each byte comes well within TIMEOUT
        # TIMEOUT, plus what a loaded machine adds; far from the trickle's 120 s
        assert TIMEOUT - 0.5 <= took < TRICKLE / 4, took
        assert transport.server_identity() == expected  # the next request is not poisoned


def test_a_trickled_rejection_is_retried_not_waited_for(real_mlflow: MlflowServer) -> None:
    run_id = create_run(real_mlflow.url)
    transport = RestTransport(real_mlflow.url, timeout=TIMEOUT)
    transport.log_batch(Batch(run_id, params=[Param(run_id, "p", "1")]))
    conflict = Batch(run_id, params=[Param(run_id, "p", "2")])  # MLflow refuses a changed param
    with fault_proxy(real_mlflow.url) as proxy:
        through_proxy = RestTransport(proxy.url, timeout=TIMEOUT)
        proxy.slow_body("/runs/log-batch", seconds=TRICKLE, times=1)
        started = time.monotonic()
        with pytest.raises(TransientError):
            through_proxy.log_batch(conflict)
        assert time.monotonic() - started < TRICKLE / 4
        with pytest.raises(RejectedError, match="INVALID_PARAMETER_VALUE"):
            through_proxy.log_batch(conflict)  # the same answer, at once: MLflow's refusal


def test_a_trickled_answer_does_not_hold_the_sender(
    real_mlflow: MlflowServer, tmp_path: Path
) -> None:
    run_id = create_run(real_mlflow.url)
    journal = _journal_of(tmp_path, run_id, 3000)
    with fault_proxy(real_mlflow.url) as proxy:
        # the identity check holds every slot while it runs; then one log-batch answer trickles
        proxy.slow_body("/experiments/get", seconds=TRICKLE, times=1)
        proxy.slow_body("/runs/log-batch", seconds=TRICKLE, times=1)
        _drain_through(proxy.url, journal, TIMEOUT, in_flight=2, limit=TRICKLE / 2)
        faulted = [e.path.split("?")[0] for e in proxy.faulted("slow_body")]
    assert any(p.endswith("/experiments/get") for p in faulted), faulted
    assert any(p.endswith("/runs/log-batch") for p in faulted), faulted
    assert read_ack(journal) == 3000
    steps = [step for step, _, _ in history(real_mlflow.url, run_id, "x")]
    assert steps == list(range(3000))  # every point once, the trickled batch resent


@pytest.mark.parametrize("protocol", ["HTTP/1.1", "HTTP/1.0"])  # kept alive, or closed
def test_a_compressed_answer_is_read_decoded(protocol: str) -> None:
    # A reverse proxy in front of a team server may gzip answers (MLflow itself does not).
    import gzip
    import http.server
    import json

    body = gzip.compress(
        json.dumps({"experiment": {"creation_time": 7, "artifact_location": "s3://b"}}).encode()
    )

    class Gzipping(http.server.BaseHTTPRequestHandler):
        protocol_version = protocol

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gzipping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        transport = RestTransport(f"http://127.0.0.1:{server.server_address[1]}", timeout=TIMEOUT)
        assert transport.server_identity() == "experiment 0 created 7 at s3://b"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_answers_slowly_gets_more_time_on_each_retry(
    real_mlflow: MlflowServer, tmp_path: Path
) -> None:
    # Every log-batch answer comes 2.5 s late, past the transport's 1 s bound: with the same
    # bound on every retry the batch would be abandoned and resent for ever (and each resend,
    # which MLflow dedupes row by row, makes a busy server slower still).
    run_id = create_run(real_mlflow.url)
    journal = _journal_of(tmp_path, run_id, 200)
    with fault_proxy(real_mlflow.url) as proxy:
        proxy.delay("/runs/log-batch", seconds=2.5, times=1000)
        # within 60 s, or the slow batch was never let finish
        _drain_through(proxy.url, journal, 1.0, in_flight=1, limit=60)
        tries = [e for e in proxy.faulted("delay") if e.path.split("?")[0].endswith("log-batch")]
    assert read_ack(journal) == 200
    assert 2 <= len(tries) <= 4, len(tries)  # 1 s, 2 s: too short; 4 s: long enough
    steps = [step for step, _, _ in history(real_mlflow.url, run_id, "x")]
    assert steps == list(range(200))  # the resent rows are in MLflow once


@pytest.mark.parametrize(
    ("setting", "bound"),
    [(None, 15.0), ("4", 4.0), ("2.5", 2.5), ("0", 1.0), ("100000", 600.0), ("soon", 15.0),
     ("nan", 15.0), ("inf", 15.0)],
)  # fmt: skip
def test_the_request_bound_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, bound: float
) -> None:
    if setting is None:
        monkeypatch.delenv("TRACKSIDE_SENDER_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("TRACKSIDE_SENDER_TIMEOUT", setting)
    assert make_transport("http://127.0.0.1:9").timeout == bound  # nothing is sent


def test_a_server_slower_than_the_configured_bound_is_cut_there(
    real_mlflow: MlflowServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKSIDE_SENDER_TIMEOUT", "2")
    run_id = create_run(real_mlflow.url)
    with fault_proxy(real_mlflow.url) as proxy:
        transport = make_transport(proxy.url)
        proxy.delay("/runs/log-batch", seconds=8, times=1)
        started = time.monotonic()
        with pytest.raises(TransientError):
            transport.log_batch(Batch(run_id, metrics=[Metric(run_id, "m", 1.0, 0, 0)]))
        took = time.monotonic() - started
    assert 1.5 <= took < 6, took  # the configured 2 s, not the default 15 s nor the 8 s hold
