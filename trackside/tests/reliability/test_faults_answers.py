"""A3, A4, A5: the server answers, but not with a plain 200.

The fault proxy scripts the answers to ``runs/log-batch``: transient statuses (A3), refusals
of one batch (A4), and a connection reset after the server committed (A5).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trackside.kernel.journal.sender import RETRY

from ..kernel_helpers import create_run
from .fault_proxy import fault_proxy
from .kernels import Kernel
from .plugin import Figures
from .points import Point, check, compare, stored_for
from .workload import expected

pytestmark = [pytest.mark.slow]

LOG_BATCH = "/runs/log-batch"
#: Time a failed request itself may add to a wait (the proxy answers it; a loaded machine).
REQUEST_SLACK_S = 2.0


def _record(figures: Figures, url: str, logged: list[Point]) -> None:
    found = check(url, logged)
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found


@pytest.mark.reliability("A3")
def test_transient_statuses_are_retried_honouring_retry_after(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures
) -> None:
    run_id = create_run(tracking_backend.url)
    with fault_proxy(tracking_backend.url) as proxy:
        proxy.fail(LOG_BATCH, 429, times=2, headers={"Retry-After": "2"})
        for status in (500, 502, 503, 504):
            proxy.fail(LOG_BATCH, status, times=1)
        # one request at a time, so that each retry follows its own failure
        kernel = start_kernel(proxy.url, TRACKSIDE_SENDER_IN_FLIGHT="1")
        kernel.install()
        kernel.run(f"log_series({run_id!r}, 'x', range(1500))")
        assert kernel.run("print(durable.flush(120))").strip() == "True"
        batches = [e for e in proxy.exchanges if e.path.endswith(LOG_BATCH)]
    statuses = [e.status for e in batches]
    assert statuses[:6] == [429, 429, 500, 502, 503, 504], statuses
    waits = [later.at - earlier.at for earlier, later in itertools.pairwise(batches)]
    figures.note(
        "waits after 429, 429, 500, 502, 503, 504: " + ", ".join(f"{w:.2f} s" for w in waits[:6])
    )
    assert waits[0] >= 2.0 and waits[1] >= 2.0, waits  # Retry-After: 2
    # Then the sender's own backoff, counted from the first failure (attempt 0): each wait
    # lies in the jittered window of its attempt, far below the 30 s cap. Slack: the request.
    for attempt in range(2, 6):
        nominal = RETRY.first * RETRY.factor**attempt
        low, high = nominal * (1 - RETRY.jitter), nominal * (1 + RETRY.jitter)
        assert low <= waits[attempt] <= high + REQUEST_SLACK_S, (attempt, waits)
    _record(figures, tracking_backend.url, expected(run_id, "x", range(1500)))


def _dead_lettered(path: Path) -> list[Point]:
    points: list[Point] = []
    for line in path.read_text().splitlines():
        letter = json.loads(line)
        for m in letter.get("metrics", []):
            value = float(m["value"]) if not isinstance(m["value"], str) else float("nan")
            points.append(Point(letter["run_id"], m["key"], m["step"], m["timestamp"], value))
    return points


@pytest.mark.reliability("A4")
def test_a_refused_batch_is_dead_lettered_once_and_later_batches_arrive(
    tracking_backend: Any,
    start_kernel: Callable[..., Kernel],
    figures: Figures,
    tmp_path: Path,
) -> None:
    run_id = create_run(tracking_backend.url)
    refused = (400, 401, 403, 404, 409)
    with fault_proxy(tracking_backend.url) as proxy:
        kernel = start_kernel(proxy.url, tmp_path / "journal", TRACKSIDE_SENDER_IN_FLIGHT="1")
        kernel.install()
        for n, status in enumerate(refused):
            proxy.fail(LOG_BATCH, status, times=1)
            kernel.run(f"log_series({run_id!r}, 'x', range({n * 100}, {n * 100 + 100}))")
            assert kernel.run("print(durable.flush(60))").strip() == "True"
        kernel.run(f"log_series({run_id!r}, 'x', range(500, 800))")  # later batches
        assert kernel.run("print(durable.flush(60))").strip() == "True"
        kernel.drain_iopub()
        requests = [p for p in proxy.requests if p.endswith(LOG_BATCH)]
    logged = expected(run_id, "x", range(800))
    dead = _dead_lettered(tmp_path / "journal" / "dead-letter.jsonl")
    stored = stored_for(tracking_backend.url, logged)
    found = compare(logged, [*stored, *dead])  # a dead-lettered point is kept, not lost
    figures.points(found.logged, len(stored), found.lost, found.duplicated)
    figures.note(f"{len(dead)} points dead-lettered by design (one refused batch per status)")
    assert found.lost == 0 and found.duplicated == 0, found
    assert compare(expected(run_id, "x", range(500)), dead).lost == 0  # the refused ones
    assert compare(expected(run_id, "x", range(500, 800)), stored).exact  # later ones
    # each refused batch was sent once: no retry loop
    assert len(requests) == len(refused) + 1, requests
    told = "".join(kernel.stderr).count("MLflow rejected")
    assert told == len(refused), kernel.stderr


@pytest.mark.reliability("A5", "B8")
def test_answer_lost_after_commit_leaves_no_duplicate(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures
) -> None:
    run_id = create_run(tracking_backend.url)
    with fault_proxy(tracking_backend.url) as proxy:
        proxy.reset_after_commit(LOG_BATCH, times=3)
        kernel = start_kernel(proxy.url)
        kernel.install()
        kernel.run(f"log_series({run_id!r}, 'x', range(3000))")
        assert kernel.run("print(durable.flush(120))").strip() == "True"
        assert len(proxy.faulted("reset_after_commit")) == 3
    logged = expected(run_id, "x", range(3000))
    figures.note(f"{sum(p.value != p.value for p in logged)} NaN points among them")
    _record(figures, tracking_backend.url, logged)
