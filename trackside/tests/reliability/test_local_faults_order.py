"""A14: steps logged out of order, and the same step logged more than once.

What MLflow stores is the reference: every (step, timestamp, value) a user logs is a row of
the metric's history, whatever the order of steps, and several rows may share a step. An exact
repeat (same step, timestamp *and* value) is the same row to MLflow's SQL store (it is how a
resent batch never duplicates a point) and to the panel's series store. Charts sort by step:
``src/__tests__/seriesStore.spec.ts`` ("sorts out-of-order batches by step, then timestamp",
"skips identical (step, timestamp, value) points only").
"""

from __future__ import annotations

import random
import time
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric

from trackside.kernel.journal.durable import DurableLogging

from .points import Point, history
from .test_inputs_keys import durable, record_points

__all__ = ["durable"]  # the fixture, shared with test_inputs_keys.py

STEPS = 1500  # more than one log-batch request (1,000 metrics each)


@pytest.mark.reliability("A14")
def test_out_of_order_and_repeated_steps_are_all_stored(
    tracking_backend: Any, durable: DurableLogging, figures: Any
) -> None:
    url = tracking_backend.url
    shuffled = list(range(STEPS))
    random.Random(14).shuffle(shuffled)
    logged: list[Point] = []
    start = int(time.time() * 1000)
    with mlflow.start_run() as run:
        run_id = run.info.run_id
        # steps in a random order, one call each
        for n, step in enumerate(shuffled):
            mlflow.log_metric("shuffled", step / 10, step=step, timestamp=start + n)
            logged.append(Point(run_id, "shuffled", step, start + n, step / 10))
        # the same step again and again: other values, other timestamps, steps going back
        for n, step in enumerate([5, 5, 5, 3, 5, 0, 3]):
            mlflow.log_metric("repeated", float(n), step=step, timestamp=start + n)
            logged.append(Point(run_id, "repeated", step, start + n, float(n)))
        # one call carrying the same step twice with different values
        MlflowClient().log_batch(
            run_id,
            metrics=[MlflowMetric("in_one_call", v, start, 7) for v in (1.0, 2.0, -1.0)],
        )
        logged += [Point(run_id, "in_one_call", 7, start, v) for v in (1.0, 2.0, -1.0)]
        # an exact repeat: the same point, logged twice
        for _ in range(2):
            mlflow.log_metric("exact_repeat", 0.5, step=1, timestamp=start)
    assert durable.flush(120), durable.status()

    assert record_points(figures, url, logged) == (0, 0)
    stored = sorted(history(url, run_id, "shuffled"), key=lambda p: p.step)
    assert [p.step for p in stored] == list(range(STEPS))
    assert sorted((p.step, p.value) for p in history(url, run_id, "repeated")) == sorted(
        (p.step, p.value) for p in logged if p.key == "repeated"
    )
    assert history(url, run_id, "exact_repeat") == [Point(run_id, "exact_repeat", 1, start, 0.5)]
    figures.note(
        "an exact repeat (same step, timestamp and value) is one row in MLflow's store;"
        " charts sort by step (src/__tests__/seriesStore.spec.ts)"
    )
    assert not durable.dead_letter_path.exists()
