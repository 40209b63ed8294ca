"""The journal's backlog on the ``trackside.metrics`` comm and in ``%mlflow status``.

A real kernel (``%load_ext trackside``) logs while its MLflow server cannot be reached (a
closed fault proxy in front of a real ``mlflow server``): a ``sync`` message says how much
waits; once the proxy listens again the backlog drains, at most 2 messages a second, and
exactly one message says 0.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import KernelManager

from trackside.kernel.live.sync_status import SyncReporter, sync_message

from .kernel_helpers import REPO, create_run, history
from .reliability.fault_proxy import fault_proxy
from .test_stream import Kernel

POINTS = 3000


def _sync_messages(kernel: Kernel) -> list[dict[str, Any]]:
    return [m for m in kernel.of_type("comm_msg") if m["content"]["data"].get("type") == "sync"]


def _when(msg: dict[str, Any]) -> float:
    date = msg["header"]["date"]
    if isinstance(date, str):
        date = datetime.datetime.fromisoformat(date)
    return float(date.timestamp())


@pytest.fixture
def proxied(real_mlflow: Any) -> Iterator[Any]:
    with fault_proxy(real_mlflow.url) as proxy:
        yield proxy


@pytest.fixture
def kernel_on(proxied: Any, tmp_path: Path) -> Iterator[Kernel]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=proxied.url,
        TRACKSIDE_JOURNAL_DIR=str(tmp_path / "journal"),
        PYTHONPATH=str(REPO),
    )
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(REPO))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    try:
        yield Kernel(manager, client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _collect_until(kernel: Kernel, done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done():
        with contextlib.suppress(queue.Empty):
            kernel.iopub.append(kernel.client.get_iopub_msg(timeout=0.2))


def test_backlog_reaches_the_comm_and_status_while_it_drains(
    real_mlflow: Any, proxied: Any, kernel_on: Kernel
) -> None:
    run_id = create_run(real_mlflow.url)
    proxied.refuse()
    kernel = kernel_on
    kernel.execute("%load_ext trackside", timeout=120)
    kernel.execute(
        "from mlflow import MlflowClient\n"
        f"c = MlflowClient()\n"
        f"for i in range({POINTS}):\n"
        f"    c.log_metric({run_id!r}, 'x', i * 0.5, timestamp=1000 + i, step=i)\n"
    )
    _collect_until(
        kernel,
        lambda: any(m["content"]["data"]["backlog"] == POINTS for m in _sync_messages(kernel)),
        timeout=30,
    )
    waiting = [m["content"]["data"] for m in _sync_messages(kernel)]
    assert waiting and waiting[-1]["backlog"] == POINTS, waiting
    assert waiting[-1]["draining"] is True and waiting[-1]["sent"] == 0
    assert waiting[-1]["stream"] == "trackside.metrics"
    assert "last_error" in waiting[-1] and waiting[-1]["dead_lettered"] == 0
    assert all(not m["buffers"] for m in _sync_messages(kernel))

    kernel.execute("%mlflow status")
    status = kernel.stream_text()
    assert f"sync: {POINTS} points waiting to sync; 0 sent" in status, status
    assert "[--------------------] 0%" in status, status

    before = len(_sync_messages(kernel))
    proxied.heal()
    _collect_until(
        kernel,
        lambda: any(m["content"]["data"]["backlog"] == 0 for m in _sync_messages(kernel)),
        timeout=120,
    )
    kernel.drain(2.0)  # nothing more may come while the backlog stays 0
    drained = _sync_messages(kernel)[before:]
    datas = [m["content"]["data"] for m in drained]
    assert datas and datas[-1]["backlog"] == 0 and datas[-1]["draining"] is False, datas
    assert datas[-1]["sent"] == POINTS and datas[-1]["last_error"] is None
    assert [d["backlog"] for d in datas].count(0) == 1, datas
    backlogs = [d["backlog"] for d in datas]
    assert backlogs == sorted(backlogs, reverse=True)  # only ever going down while draining
    every = _sync_messages(kernel)
    gaps = [_when(b) - _when(a) for a, b in itertools.pairwise(every)]
    assert all(gap >= 0.4 for gap in gaps), gaps  # at most 2 a second

    kernel.iopub.clear()
    kernel.execute("%mlflow status")
    assert f"sync: nothing waiting; {POINTS} sent, 0 dead-lettered" in kernel.stream_text()
    assert len(history(real_mlflow.url, run_id, "x")) == POINTS


def test_reporter_sends_only_changes_and_retries_when_nobody_listens() -> None:
    statuses: list[dict[str, Any] | None] = [
        None,
        {"backlog": 0, "sent": 0},
        {"backlog": 5, "sent": 0, "last_error": "HTTP 503"},
        {"backlog": 5, "sent": 0, "last_error": "HTTP 503"},
        {"backlog": 2, "sent": 3},
        {"backlog": 0, "sent": 5, "last_error": "HTTP 503"},
        {"backlog": 0, "sent": 5},
    ]
    sent: list[dict[str, Any]] = []
    listening = [True, False, True]  # the second send finds no comm

    def send(message: dict[str, Any]) -> bool:
        if listening.pop(0):
            sent.append(message)
            return True
        return False

    source = iter(statuses)
    reporter = SyncReporter(send, "trackside.metrics", source=lambda: next(source))
    results = [reporter.tick() for _ in statuses]
    assert results == [False, False, True, False, False, True, False]
    # the look at backlog 2 found nobody listening; the next one sent the 0
    assert [(m["backlog"], m["draining"], m["last_error"]) for m in sent] == [
        (5, True, "HTTP 503"),
        (0, False, None),
    ]
    assert sync_message({"backlog": 3, "sent": 1}, "s")["type"] == "sync"
