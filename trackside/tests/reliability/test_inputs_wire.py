"""Duplicate param keys (B6) and out-of-range steps and timestamps (B7), checked on the wire.

Durable logging talks to the backend through the fault proxy, which forwards untouched here;
every ``log-batch`` body it forwards is kept and checked the way MLflow's server reads it
(proto JSON into ``LogBatch``, then MLflow's own batch validators), and every answer must be
200: bad input is stopped at the call, never sent to be refused.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest
from google.protobuf import json_format
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import RunTag
from mlflow.exceptions import MlflowException
from mlflow.protos.service_pb2 import LogBatch
from mlflow.utils.validation import (
    MAX_PARAM_VAL_LENGTH,
    MAX_TAG_VAL_LENGTH,
    _validate_batch_log_api_req,
    _validate_batch_log_data,
    _validate_batch_log_limits,
    _validate_param_keys_unique,
)

from trackside.kernel.journal.durable import DurableLogging
from trackside.kernel.journal.transport import LOG_BATCH

from ..kernel_helpers import get_run
from .fault_proxy import FaultProxy, _ProxyHandler, fault_proxy
from .points import Point, history
from .test_inputs_keys import durable_logging, record_points


class Wire:
    """The proxy and the bodies it forwarded, by path."""

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        self.bodies: list[tuple[str, bytes]] = []

    def log_batches(self) -> list[LogBatch]:
        """Every forwarded log-batch body, parsed and validated as MLflow's server does."""
        batches = []
        for path, body in self.bodies:
            if path.endswith(LOG_BATCH):
                batches.append(valid_log_batch(body))
        return batches

    def answers(self, suffix: str) -> list[int | None]:
        return [e.status for e in self.proxy.exchanges if e.path.split("?")[0].endswith(suffix)]


def valid_log_batch(body: bytes) -> LogBatch:
    """``body`` as MLflow's ``_log_batch`` handler reads it; raises where MLflow would refuse."""
    _validate_batch_log_api_req(body.decode())
    message = json_format.Parse(body, LogBatch())  # int64 steps/timestamps, doubles
    metrics = [MlflowMetric.from_proto(m) for m in message.metrics]
    params = [MlflowParam.from_proto(p) for p in message.params]
    tags = [RunTag.from_proto(t) for t in message.tags]
    _validate_batch_log_limits(metrics, params, tags)
    _validate_param_keys_unique(params)
    _validate_batch_log_data(metrics, params, tags)
    # MLflow's server would truncate these silently; Trackside must have done it, with a warning
    assert all(len(p.value) <= MAX_PARAM_VAL_LENGTH for p in params)
    assert all(len(t.value) <= MAX_TAG_VAL_LENGTH for t in tags)
    assert json.loads(body)["run_id"] == message.run_id
    return message


@pytest.fixture
def wire(tracking_backend: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Wire]:
    forward = _ProxyHandler._forward
    recorded: list[tuple[str, bytes]] = []

    def keep_body(handler: _ProxyHandler, body: bytes) -> Any:
        recorded.append((handler.path.split("?")[0], body))
        return forward(handler, body)

    monkeypatch.setattr(_ProxyHandler, "_forward", keep_body)
    with fault_proxy(tracking_backend.url) as proxy:
        seen = Wire(proxy)
        seen.bodies = recorded
        yield seen


@pytest.fixture
def durable(wire: Wire, tmp_path: Path) -> Iterator[DurableLogging]:
    with durable_logging(wire.proxy.url, tmp_path / "journal") as installed:
        yield installed


def _params(url: str, run_id: str) -> dict[str, str]:
    return {p["key"]: p["value"] for p in get_run(url, run_id)["data"].get("params", [])}


@pytest.mark.reliability("B6")
def test_duplicate_param_keys_are_sent_once(
    tracking_backend: Any, wire: Wire, durable: DurableLogging, figures: Any
) -> None:
    client = MlflowClient(wire.proxy.url)
    run_id = client.create_run("0").info.run_id
    logged: list[Point] = []
    # the same key twice in one call: MLflow's own error (its server refuses such a batch),
    # the first value and the rest of the call kept
    for i, values in enumerate((("1", "1"), ("1", "2"))):
        metric = MlflowMetric(f"m{i}", float(i), 1000 + i, i)
        with pytest.raises(MlflowException, match="Duplicate parameter keys") as error:
            client.log_batch(
                run_id,
                metrics=[metric],
                params=[MlflowParam(f"dup{i}", value) for value in values],
            )
        assert error.value.error_code == "INVALID_PARAMETER_VALUE"
        logged.append(Point(run_id, metric.key, metric.step, metric.timestamp, metric.value))
    # the same key and value again in later calls, as MLflow allows: not sent again
    with mlflow.start_run(run_id=run_id):
        mlflow.log_param("lr", 0.1)
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"lr": 0.1, "seed": 7})
        mlflow.log_params({"seed": 7, "lr": 0.1})
    assert durable.flush(60)

    batches = wire.log_batches()
    sent = Counter(p.key for b in batches for p in b.params)
    assert sent == {"dup0": 1, "dup1": 1, "lr": 1, "seed": 1}
    assert set(wire.answers(LOG_BATCH)) == {200}
    assert _params(tracking_backend.url, run_id) == {
        "dup0": "1",
        "dup1": "1",
        "lr": "0.1",
        "seed": "7",
    }
    assert record_points(figures, tracking_backend.url, logged) == (0, 0)
    assert not durable.dead_letter_path.exists()


# (step, timestamp) given by the user → what is stored, or None when rejected at the call
STEPS_AND_TIMESTAMPS: list[tuple[Any, Any, tuple[int, int] | None]] = [
    (0, -1, None),  # MLflow: "Timestamp must be a nonnegative long"
    (2**63, 1000, None),  # does not fit MLflow's int64 step
    (1.5, 1000, None),  # not a whole number
    (-3, 1000, (-3, 1000)),  # a valid int64 step, stored as is
    (2.0, 1000, (2, 1000)),  # a whole float: converted to the integer
    (2**63 - 1, 1000, (2**63 - 1, 1000)),  # the largest int64
    (-(2**63), 1000, (-(2**63), 1000)),  # the smallest int64
    (0, 2**63, None),  # timestamp out of int64
    (0, 1.5, None),
]


@pytest.mark.reliability("B7")
def test_steps_and_timestamps_are_converted_or_refused_never_sent_invalid(
    tracking_backend: Any, wire: Wire, durable: DurableLogging, figures: Any
) -> None:
    client = MlflowClient(wire.proxy.url)
    run_id = client.create_run("0").info.run_id
    logged: list[Point] = []
    for i, (step, timestamp, stored) in enumerate(STEPS_AND_TIMESTAMPS):
        key = f"single{i}"
        if stored is None:
            with pytest.raises(MlflowException, match="must be a") as error:
                client.log_metric(run_id, key, 1.0, timestamp=timestamp, step=step)
            assert error.value.error_code == "INVALID_PARAMETER_VALUE"
            assert repr(timestamp if step == 0 else step) in str(error.value)
        else:
            client.log_metric(run_id, key, 1.0, timestamp=timestamp, step=step)
            logged.append(Point(run_id, key, stored[0], stored[1], 1.0))

    # all of them in one call: MLflow's error for the first bad one, the valid ones kept
    batch = [
        MlflowMetric("batch", float(i), ts, step)
        for i, (step, ts, _) in enumerate(STEPS_AND_TIMESTAMPS)
    ]
    with pytest.raises(MlflowException, match="valid entries of this call were logged") as error:
        client.log_batch(run_id, metrics=batch)
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"
    logged += [
        Point(run_id, "batch", stored[0], stored[1], float(i))
        for i, (_, _, stored) in enumerate(STEPS_AND_TIMESTAMPS)
        if stored is not None
    ]
    assert durable.flush(60)

    batches = wire.log_batches()  # each parses as MLflow's LogBatch and passes its validators
    assert batches and set(wire.answers(LOG_BATCH)) == {200}
    sent = [(m.key, m.step, m.timestamp) for b in batches for m in b.metrics]
    assert sorted(sent) == sorted((p.key, p.step, p.timestamp_ms) for p in logged)
    assert record_points(figures, tracking_backend.url, logged) == (0, 0)
    rejected = [f"single{i}" for i, (*_, stored) in enumerate(STEPS_AND_TIMESTAMPS) if not stored]
    assert all(history(tracking_backend.url, run_id, key) == [] for key in rejected)
    assert not durable.dead_letter_path.exists()
