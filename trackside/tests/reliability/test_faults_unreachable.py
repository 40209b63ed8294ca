"""A1 and A7: the tracking server cannot be reached at all, then can.

The kernel logs through the fault proxy, which is closed (A1: nothing listens) or listens
without ever accepting (A7: a partition). Log calls must not wait on the network; once the
proxy heals, every point arrives once, within one backoff cap.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ..kernel_helpers import create_run
from .fault_proxy import fault_proxy
from .kernels import Kernel
from .plugin import Figures
from .points import check
from .workload import expected

pytestmark = [pytest.mark.slow]

POINTS = 2000
#: the sender's backoff cap (sender.RETRY) and its request timeout (RestTransport)
BACKOFF_CAP_S = 30.0
REQUEST_TIMEOUT_S = 15.0


def _log_while_down(kernel: Kernel, run_id: str) -> dict[str, Any]:
    kernel.install()
    timing = kernel.json(f"print(log_series({run_id!r}, 'x', range({POINTS})))")
    assert int(kernel.run("print(durable.backlog())")) == POINTS
    return dict(timing)


def _recover(kernel: Kernel, figures: Figures) -> float:
    healed = time.monotonic()
    assert kernel.run("print(durable.flush(120))").strip() == "True"
    took = time.monotonic() - healed
    figures.recovered_in(took)
    return took


@pytest.mark.reliability("A1")
def test_no_listener_from_the_start(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures
) -> None:
    run_id = create_run(tracking_backend.url)
    with fault_proxy(tracking_backend.url) as proxy:
        proxy.refuse()
        kernel = start_kernel(proxy.url)
        timing = _log_while_down(kernel, run_id)
        figures.note(f"log calls p99 {timing['p99_ms']:.2f} ms, slowest {timing['max_ms']:.1f} ms")
        assert timing["p99_ms"] < 50, timing
        proxy.heal()
        _recover(kernel, figures)
    found = check(tracking_backend.url, expected(run_id, "x", range(POINTS)))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found


@pytest.mark.reliability("A7")
def test_partition_that_never_accepts_then_heals(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures
) -> None:
    run_id = create_run(tracking_backend.url)
    with fault_proxy(tracking_backend.url) as proxy:
        kernel = start_kernel(proxy.url)
        kernel.install()
        kernel.run(f"print(log_series({run_id!r}, 'x', range(100)))")
        assert kernel.run("print(durable.flush(60))").strip() == "True"  # reached it once
        proxy.blackhole()
        timing = kernel.json(f"print(log_series({run_id!r}, 'x', range(100, {POINTS})))")
        figures.note(f"log calls p99 {timing['p99_ms']:.2f} ms, slowest {timing['max_ms']:.1f} ms")
        assert timing["p99_ms"] < 50, timing
        time.sleep(8)  # the partition lasts; the sender keeps trying without piling up
        before = len(proxy.requests)
        proxy.heal()
        took = _recover(kernel, figures)
        assert took < BACKOFF_CAP_S + REQUEST_TIMEOUT_S, took
        after_heal = [p for p in proxy.requests[before:] if p.endswith("/runs/log-batch")]
        # no herd: about one request per batch of the backlog, not a burst of retries
        batches = -(-(POINTS - 100) // 1000)
        figures.note(f"{len(after_heal)} log-batch requests after the heal for {batches} batches")
        assert len(after_heal) <= batches + 8, after_heal
    found = check(tracking_backend.url, expected(run_id, "x", range(POINTS)))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found
