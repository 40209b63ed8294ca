"""Large calls (B3), odd metric values (B4) and a changed param (B5), against both backends.

README's bad-input table is the policy: 2,500 metrics go as requests of at most 1,000, a 2 MB
param is truncated as MLflow truncates it; NaN and ±Inf are logged, bools and numeric strings
converted as MLflow converts them, ``None`` and ``"abc"`` get MLflow's error at the call; a
changed param value gets MLflow's "changing param values is not allowed" at the call. Plain
MLflow's answer to the same input on the same backend is measured as the reference.
``tests/test_magics.py`` covers the auto-captured side of B5 in a real kernel.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import Any

import mlflow
import numpy as np
import pytest
import torch
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import RunTag
from mlflow.exceptions import MlflowException

from trackside.kernel import mlflow_hook
from trackside.kernel.journal.batches import MAX_METRICS
from trackside.kernel.journal.durable import DurableLogging
from trackside.kernel.journal.transport import LOG_BATCH

from ..kernel_helpers import get_run
from .points import Point, history
from .test_inputs_keys import outcome, record_points
from .test_inputs_wire import Wire, durable, wire

__all__ = ["durable", "wire"]  # fixtures, shared with test_inputs_wire.py


def _params(url: str, run_id: str) -> dict[str, str]:
    return {p["key"]: p["value"] for p in get_run(url, run_id)["data"].get("params", [])}


@pytest.mark.reliability("B3")
def test_one_huge_call_is_split_into_compliant_requests_and_all_stored(
    tracking_backend: Any, wire: Wire, durable: DurableLogging, figures: Any
) -> None:
    url = tracking_backend.url
    client = MlflowClient(wire.proxy.url)
    run_id = client.create_run("0").info.run_id
    now = int(time.time() * 1000)
    metrics = [MlflowMetric(f"m{i}", i / 3, now, 7) for i in range(2500)]
    params = [MlflowParam(f"p{i}", str(i)) for i in range(250)]
    tags = [RunTag(f"t{i}", str(i)) for i in range(250)]
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    client.log_param(run_id, "big", "x" * 2_000_000)
    assert durable.flush(120), durable.status()

    batches = wire.log_batches()  # each within MLflow's limits and validators
    assert set(wire.answers(LOG_BATCH)) == {200}
    assert len(batches) >= math.ceil(2500 / MAX_METRICS)
    stored = _params(url, run_id)
    assert stored == {**{p.key: p.value for p in params}, "big": "x" * 6000}
    data = get_run(url, run_id)["data"]
    assert {(t["key"], t["value"]) for t in data["tags"]} >= {(t.key, t.value) for t in tags}
    logged = [Point(run_id, m.key, m.step, m.timestamp, m.value) for m in metrics]
    assert record_points(figures, url, logged) == (0, 0)


MAX_DOUBLE = 1.7976931348623157e308  # what MLflow's SQL stores keep for ±Inf
VALUES: dict[str, Any] = {
    "nan": math.nan,
    "inf": math.inf,
    "ninf": -math.inf,
    "np_float32": np.float32(0.5),
    "np_int64": np.int64(3),
    "np_0d": np.array(2.5),
    "torch_0d": torch.tensor(1.25),
    "bool": True,
    "decimal": Decimal("0.1"),
    "none": None,
    "numeric_str": "0.5",
    "abc": "abc",
}


@pytest.mark.reliability("B4")
def test_odd_metric_values_get_mlflows_own_outcome(
    tracking_backend: Any, wire: Wire, durable: DurableLogging, figures: Any
) -> None:
    url = tracking_backend.url
    client = MlflowClient(wire.proxy.url)
    plain_run = client.create_run("0").info.run_id
    run_id = client.create_run("0").info.run_id
    plain_log_metric = mlflow_hook.original("log_metric")
    now = int(time.time() * 1000)
    outcomes: dict[str, tuple[Any, Any]] = {}
    for key, value in VALUES.items():
        try:  # plain MLflow refuses some with MlflowException, "abc" with protobuf's TypeError
            plain_log_metric(client, plain_run, key, value, now, 0)
            plain = None
        except (MlflowException, TypeError) as error:
            plain = type(error).__name__
        ours = outcome(lambda k=key, v=value: client.log_metric(run_id, k, v, now, 0))
        outcomes[key] = (plain, ours)
    assert durable.flush(60), durable.status()

    for key, (plain, ours) in outcomes.items():
        assert (ours is None) == (plain is None), (key, plain, ours)  # accepted by both or neither
        assert ours in (None, "INVALID_PARAMETER_VALUE"), (key, ours)  # refused: MLflow's error
        want = [p.value for p in history(url, plain_run, key)]
        got = [p.value for p in history(url, run_id, key)]
        assert len(got) == len(want) and all(
            (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want, strict=True)
        ), (key, want, got)
    assert {k for k, (_, ours) in outcomes.items() if ours} == {"none", "abc"}
    assert [p.value for p in history(url, run_id, "inf")] == [MAX_DOUBLE]
    assert [p.value for p in history(url, run_id, "ninf")] == [-MAX_DOUBLE]
    assert [p.value for p in history(url, run_id, "bool")] == [1.0]
    assert [p.value for p in history(url, run_id, "numeric_str")] == [0.5]
    assert set(wire.answers(LOG_BATCH)) == {200}

    stored_as = {"inf": MAX_DOUBLE, "ninf": -MAX_DOUBLE}
    logged = [
        Point(run_id, key, 0, now, stored_as.get(key, float(value)))
        for key, value in VALUES.items()
        if key not in ("none", "abc")
    ]
    assert record_points(figures, url, logged) == (0, 0)
    figures.note("±Inf kept by MLflow's SQL store as ±DBL_MAX, as plain MLflow does")


@pytest.mark.reliability("B5")
def test_a_changed_param_is_mlflows_error_at_the_call_with_no_retry_loop(
    tracking_backend: Any, wire: Wire, durable: DurableLogging, figures: Any
) -> None:
    url = tracking_backend.url
    now = int(time.time() * 1000)
    with mlflow.start_run() as run:
        run_id = run.info.run_id
        for attempt, lr in enumerate((0.1, 0.2, 0.3)):  # a cell run three times
            if attempt == 0:
                mlflow.log_param("lr", lr)
            else:
                with pytest.raises(MlflowException, match="Changing param values is not allowed"):
                    mlflow.log_param("lr", lr)
                with pytest.raises(MlflowException, match="Changing param values is not allowed"):
                    mlflow.log_params({"lr": lr, f"new{attempt}": attempt})
            mlflow.log_metric("loss", 1 / (attempt + 1), step=attempt, timestamp=now + attempt)
    assert durable.flush(60), durable.status()

    assert _params(url, run_id) == {"lr": "0.1", "new1": "1", "new2": "2"}
    assert set(wire.answers(LOG_BATCH)) == {200}  # nothing MLflow refused: no 400 to retry
    assert not durable.dead_letter_path.exists()
    logged = [Point(run_id, "loss", i, now + i, 1 / (i + 1)) for i in range(3)]
    assert record_points(figures, url, logged) == (0, 0)
