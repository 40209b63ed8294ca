"""A6: a server too slow to answer, then one that trickles its answer.

The fault proxy holds the first ``log-batch`` past the sender's request timeout (set to 5 s
here with ``TRACKSIDE_SENDER_TIMEOUT``; 15 s by default), then trickles the retry's answer
past that retry's longer bound, then lets the next retry through. The held request still
reaches MLflow after the sender gave up on it, so the retry must not duplicate it either.
"""

from __future__ import annotations

import itertools
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

LOG_BATCH = "/runs/log-batch"
REQUEST_TIMEOUT_S = 5.0  # the same behaviour as the default 15 s, in a third of the time

COUNTS = """
import psutil, threading
me = psutil.Process()
print(json.dumps({"threads": threading.active_count(),
                  "sockets": len([c for c in me.net_connections("tcp") if c.raddr])}))
"""


@pytest.mark.reliability("A6")
def test_slow_answers_time_out_at_the_bound_without_blocking_or_leaking(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures
) -> None:
    run_id = create_run(tracking_backend.url)
    with fault_proxy(tracking_backend.url) as proxy:
        kernel = start_kernel(
            proxy.url,
            TRACKSIDE_SENDER_IN_FLIGHT="1",
            TRACKSIDE_SENDER_TIMEOUT=str(REQUEST_TIMEOUT_S),
        )
        kernel.install()
        kernel.run(f"log_series({run_id!r}, 'x', range(100))")
        assert kernel.run("print(durable.flush(60))").strip() == "True"
        before = kernel.json(COUNTS)
        proxy.delay(LOG_BATCH, seconds=REQUEST_TIMEOUT_S + 5, times=1)
        # The retry may take twice the bound; MLflow's answer ("{}") is two bytes, the second
        # sent half-way through the trickle: at 2T + 10 s, past that retry's 2T.
        proxy.slow_body(LOG_BATCH, seconds=4 * REQUEST_TIMEOUT_S + 20, times=1)
        timing = kernel.json(f"print(log_series({run_id!r}, 'x', range(100, 600)))")
        assert timing["p99_ms"] < 50, timing  # cells are not blocked by the slow server
        status = kernel.json("import time; time.sleep(3); print(json.dumps(durable.status()))")
        assert status["backlog"] == 500, status  # what waits is visible
        assert kernel.run("print(durable.flush(120))").strip() == "True"
        after = kernel.json(COUNTS)
        batches = [e for e in proxy.exchanges if e.path.endswith(LOG_BATCH)][1:]
    waits = [b.at - a.at for a, b in itertools.pairwise(batches)]
    figures.note(
        f"retries {', '.join(f'{w:.1f} s' for w in waits)} after the held and the trickled"
        f" answer; threads {before['threads']} -> {after['threads']},"
        f" sockets {before['sockets']} -> {after['sockets']}"
    )
    assert [b.fault for b in batches[:3]] == ["delay", "slow_body", None], batches
    # each slow request was abandoned at its bound (plus a first, short backoff): the first try
    # at the timeout, its retry at twice that (a retried request gets more time, up to 4x)
    bounds = (REQUEST_TIMEOUT_S, 2 * REQUEST_TIMEOUT_S)
    assert all(t - 0.5 <= w < t + 5 for w, t in zip(waits[:2], bounds, strict=True)), waits
    assert after["threads"] <= before["threads"], (before, after)
    assert after["sockets"] <= before["sockets"] + 1, (before, after)
    found = check(tracking_backend.url, expected(run_id, "x", range(600)))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found
