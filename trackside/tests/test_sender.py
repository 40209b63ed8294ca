"""Request planning within MLflow's limits, and what MLflow does with a resent batch."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from trackside.kernel.journal.batches import Batch, plan
from trackside.kernel.journal.records import Metric, Param, RunUpdate, Tag
from trackside.kernel.journal.transport import RestTransport

from .kernel_helpers import create_run, get_run, history
from .reliability.plugin import Figures
from .reliability.points import Point, compare
from .reliability.points import history as points_history


def _size(batch: Batch) -> int:
    return len(json.dumps(batch.body(), ensure_ascii=False).encode())


def test_limits_per_request() -> None:
    entries = [Metric("r", "m", float(i), i, i) for i in range(2500)]
    entries += [Param("r", f"p{i}", "v") for i in range(250)]
    entries += [Tag("r", f"t{i}", "v") for i in range(150)]
    requests = plan(entries)
    assert all(isinstance(r, Batch) for r in requests)
    batches = [r for r in requests if isinstance(r, Batch)]
    for b in batches:
        assert len(b.metrics) <= 1000 and len(b.params) <= 100 and len(b.tags) <= 100
        assert b.count() <= 1000 and _size(b) <= 1_000_000
    assert sum(len(b.metrics) for b in batches) == 2500
    assert [m.step for b in batches for m in b.metrics] == list(range(2500))  # order kept
    assert sum(len(b.params) for b in batches) == 250
    assert sum(len(b.tags) for b in batches) == 150


def test_size_limit_with_long_values() -> None:
    entries = [Param("r", f"p{i}", "é" * 6000) for i in range(100)]
    entries += [Tag("r", f"t{i}", "x" * 8000) for i in range(100)]
    for b in plan(entries):
        assert isinstance(b, Batch) and _size(b) <= 1_000_000


def test_run_update_goes_after_that_runs_entries() -> None:
    entries = [
        Metric("a", "m", 1.0, 1, 0),
        Metric("b", "m", 1.0, 1, 0),
        RunUpdate("a", "FINISHED", 5, None),
        Metric("a", "m", 2.0, 2, 1),
        Tag("b", "k", "1"),
        Tag("b", "k", "2"),  # same key twice: separate requests, last one wins
        Param("b", "p", "1"),
        Param("b", "p", "1"),  # a repeat is dropped (MLflow refuses duplicate keys)
    ]
    requests = plan(entries)
    a = [r for r in requests if r.run_id == "a"]
    assert isinstance(a[0], Batch) and a[0].metrics[0].value == 1.0
    assert isinstance(a[1], RunUpdate)
    assert isinstance(a[2], Batch) and a[2].metrics[0].value == 2.0
    b = [r for r in requests if isinstance(r, Batch) and r.run_id == "b"]
    assert [t.value for r in b for t in r.tags] == ["1", "2"]
    assert len([p for r in b for p in r.params]) == 1


@pytest.mark.reliability("A5", "B8")
def test_resending_a_batch_never_duplicates_points(tracking_backend: Any, figures: Figures) -> None:
    # What MLflow's SQL store does with identical rows (NaN included) sent twice.
    url = tracking_backend.url
    run_id = create_run(url)
    batch = Batch(
        run_id,
        metrics=[
            Metric(run_id, "x", 1.5, 10, 0),
            Metric(run_id, "x", math.nan, 11, 1),
            Metric(run_id, "x", math.inf, 12, 2),
        ],
        params=[Param(run_id, "p", "1")],
        tags=[Tag(run_id, "t", "1")],
    )
    transport = RestTransport(url)
    transport.log_batch(batch)
    transport.log_batch(batch)  # e.g. the answer was lost and the sender retried
    logged = [Point(run_id, m.key, m.step, m.timestamp, m.value) for m in batch.metrics]
    found = compare(logged, points_history(url, run_id, "x"))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found
    stored = history(url, run_id, "x")
    assert len(stored) == 3
    assert stored[0][2] == 1.5 and math.isnan(stored[1][2])
    assert {p["key"]: p["value"] for p in get_run(url, run_id)["data"]["params"]} == {"p": "1"}
