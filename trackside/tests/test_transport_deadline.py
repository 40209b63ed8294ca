"""Each request to MLflow has an overall deadline, not only a per-read timeout (slow-loris).

A fault proxy in front of a real ``mlflow server`` sends an answer's body one byte at a time,
each byte well within the per-read timeout: without an overall deadline the request would
last as long as the trickle (40 s here) and hold its sender slot, or, for the server identity
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
from trackside.kernel.journal.transport import RejectedError, RestTransport, TransientError

from .kernel_helpers import create_run, history
from .reliability.fault_proxy import fault_proxy
from .servers import MlflowServer

TIMEOUT = 3.0  # the transport's bound per request
TRICKLE = 40.0  # seconds the proxy spreads an answer's body over


def test_a_trickled_identity_answer_is_abandoned_at_the_deadline(real_mlflow: MlflowServer) -> None:
    with fault_proxy(real_mlflow.url) as proxy:
        transport = RestTransport(proxy.url, timeout=TIMEOUT)
        expected = transport.server_identity()  # keep-alive connection in the pool
        proxy.slow_body("/experiments/get", seconds=TRICKLE, times=1)
        started = time.monotonic()
        with pytest.raises(TransientError, match="in time"):
            transport.server_identity()
        took = time.monotonic() - started
        # the body is a few hundred bytes over 40 s: each byte comes well within TIMEOUT
        assert TIMEOUT - 0.5 <= took < TIMEOUT + 3, took
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
        with pytest.raises(TransientError, match="in time"):
            through_proxy.log_batch(conflict)
        assert time.monotonic() - started < TIMEOUT + 3
        with pytest.raises(RejectedError, match="INVALID_PARAMETER_VALUE"):
            through_proxy.log_batch(conflict)  # the same answer, at once: MLflow's refusal


def test_a_trickled_answer_does_not_hold_the_sender(
    real_mlflow: MlflowServer, tmp_path: Path
) -> None:
    run_id = create_run(real_mlflow.url)
    journal = tmp_path / "k"
    journal.mkdir()
    JournalWriter(journal).append([Metric(run_id, "x", i * 0.5, 1000 + i, i) for i in range(3000)])
    with fault_proxy(real_mlflow.url) as proxy:
        # the identity check holds every slot while it runs; then one log-batch answer trickles
        proxy.slow_body("/experiments/get", seconds=TRICKLE, times=1)
        proxy.slow_body("/runs/log-batch", seconds=TRICKLE, times=1)
        backlog = BacklogSender(
            journal,
            RestTransport(proxy.url, timeout=TIMEOUT),
            DeadLetters(tmp_path / "dead.jsonl", journal.name, proxy.url),
            threading.Event(),
            backoff_cap=0.5,
            in_flight=2,
        )
        started = time.monotonic()
        while not (backlog.reader.exhausted and backlog.idle()):
            backlog.step(final=True)
            assert time.monotonic() - started < TRICKLE / 2, "held by a trickled answer"
        backlog.close()
        faulted = [e.path.split("?")[0] for e in proxy.faulted("slow_body")]
    assert any(p.endswith("/experiments/get") for p in faulted), faulted
    assert any(p.endswith("/runs/log-batch") for p in faulted), faulted
    assert read_ack(journal) == 3000
    steps = [step for step, _, _ in history(real_mlflow.url, run_id, "x")]
    assert steps == list(range(3000))  # every point once, the trickled batch resent
