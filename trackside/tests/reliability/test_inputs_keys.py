"""Bad keys and lengths (B1, B2): MLflow's own outcome at the call, valid entries kept.

Each test first asks plain MLflow (no Trackside) what it does with the input against the same
backend, then logs the same input through Trackside's durable logging, so "MLflow's own
validation" is measured, not assumed. The ``durable`` fixture and ``record_points`` are shared
with the other ``test_inputs_*`` / ``test_local_faults_*`` files of this folder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import RunTag
from mlflow.exceptions import MlflowException

from trackside.kernel import mlflow_hook
from trackside.kernel.journal.durable import DurableLogging

from ..kernel_helpers import get_run
from .points import Point, compare, history

BAD_KEYS: list[Any] = ["a?b", "a//b", "a/", "./a", "../a", "/a", "", None]
GOOD_KEYS = ["x:y"]


@contextmanager
def durable_logging(url: str, journal_dir: Path) -> Iterator[DurableLogging]:
    """Trackside's durable logging installed in this process, aimed at ``url``."""
    mlflow.set_tracking_uri(url)
    durable = DurableLogging(journal_dir=journal_dir, flush_timeout=30)
    durable.install()
    try:
        yield durable
    finally:
        while mlflow.active_run():
            mlflow.end_run()
        durable.uninstall()


@pytest.fixture
def durable(tracking_backend: Any, tmp_path: Path) -> Iterator[DurableLogging]:
    with durable_logging(tracking_backend.url, tmp_path / "journal") as installed:
        yield installed


def record_points(figures: Any, url: str, logged: Iterable[Point]) -> tuple[int, int]:
    """Compare every (run, key) of ``logged`` with MLflow's history; record and return
    (lost, duplicated)."""
    logged = list(logged)
    series = sorted({(p.run_id, p.key) for p in logged})
    stored = [p for run_id, key in series for p in history(url, run_id, key)]
    found = compare(logged, stored)
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    return found.lost, found.duplicated


def metric_points(url: str, run_id: str, keys: Iterable[str]) -> list[Point]:
    return [p for key in keys for p in history(url, run_id, key)]


class MlflowLogRecords(logging.Handler):
    """MLflow's own log records (its truncation warning goes to the ``mlflow`` logger, which
    does not propagate to the root logger that ``caplog`` listens to)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def mlflow_warnings() -> Iterator[MlflowLogRecords]:
    handler = MlflowLogRecords()
    logger = logging.getLogger("mlflow")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def outcome(call: Callable[[], object]) -> str | None:
    """None when the call passed, else the error code of MLflow's exception."""
    try:
        call()
    except MlflowException as error:
        return str(error.error_code)
    return None


def plain_mlflow_outcomes(client: MlflowClient, run_id: str, keys: list[Any]) -> dict[str, list]:
    """What MLflow itself (no Trackside hook) answers for each key as metric, param and tag."""
    log_metric = mlflow_hook.original("log_metric")
    log_param = mlflow_hook.original("log_param")
    set_tag = mlflow_hook.original("set_tag")
    return {
        "metric": [outcome(lambda k=k: log_metric(client, run_id, k, 1.0)) for k in keys],
        "param": [outcome(lambda k=k: log_param(client, run_id, k, "v")) for k in keys],
        "tag": [outcome(lambda k=k: set_tag(client, run_id, k, "v")) for k in keys],
    }


@pytest.mark.reliability("B1")
def test_bad_keys_get_mlflows_error_and_the_valid_rest_of_the_call_is_kept(
    tracking_backend: Any, durable: DurableLogging, figures: Any
) -> None:
    url = tracking_backend.url
    client = MlflowClient(url)
    keys = BAD_KEYS + GOOD_KEYS
    reference = plain_mlflow_outcomes(client, client.create_run("0").info.run_id, keys)
    assert reference["metric"][-1] is None  # x:y is a valid MLflow key
    assert all(code == "INVALID_PARAMETER_VALUE" for code in reference["metric"][:-1])

    run_id = client.create_run("0").info.run_id
    ours = {
        "metric": [outcome(lambda k=k: client.log_metric(run_id, k, 1.0, step=0)) for k in keys],
        "param": [outcome(lambda k=k: client.log_param(run_id, k, "v")) for k in keys],
        "tag": [outcome(lambda k=k: client.set_tag(run_id, k, "v")) for k in keys],
    }
    assert ours == reference

    # One call mixing a bad key with valid entries: MLflow's error, the valid entries kept.
    logged: list[Point] = []
    for i, bad in enumerate(BAD_KEYS):
        good = MlflowMetric(f"ok{i}", float(i), 1000 + i, i)
        with pytest.raises(MlflowException, match="3 valid entries of this call") as error:
            client.log_batch(
                run_id,
                metrics=[good, MlflowMetric(bad, 1.0, 1000, 0)],
                params=[MlflowParam(f"p{i}", "v"), MlflowParam(bad, "v")],
                tags=[RunTag(f"t{i}", "v"), RunTag(bad, "v")],
            )
        assert error.value.error_code == "INVALID_PARAMETER_VALUE"
        logged.append(Point(run_id, good.key, good.step, good.timestamp, good.value))
    assert durable.flush(60)

    data = get_run(url, run_id)["data"]
    params = {p["key"] for p in data.get("params", [])}
    tags = {t["key"] for t in data.get("tags", [])}
    assert params == {"x:y"} | {f"p{i}" for i in range(len(BAD_KEYS))}
    assert {"x:y"} | {f"t{i}" for i in range(len(BAD_KEYS))} <= tags
    logged.append(Point(run_id, "x:y", 0, history(url, run_id, "x:y")[0].timestamp_ms, 1.0))
    assert record_points(figures, url, logged) == (0, 0)
    assert not durable.dead_letter_path.exists()


LIMITS = {"key": 250, "param value": 6000, "tag value": 8000}


@pytest.mark.reliability("B2")
def test_length_limits_pass_and_over_limit_values_are_truncated_with_a_warning(
    tracking_backend: Any, durable: DurableLogging, figures: Any, mlflow_warnings: MlflowLogRecords
) -> None:
    url = tracking_backend.url
    client = MlflowClient(url)
    run_id = client.create_run("0").info.run_id
    at, over = LIMITS["key"], LIMITS["key"] + 1

    # keys at the limit pass unchanged; one over is MLflow's error at the call
    client.log_metric(run_id, "k" * at, 1.0, timestamp=1000, step=0)
    client.log_param(run_id, "p" * at, "v")
    client.set_tag(run_id, "t" * at, "v")
    for call in (
        lambda: client.log_metric(run_id, "k" * over, 1.0),
        lambda: client.log_param(run_id, "p" * over, "v"),
        lambda: client.set_tag(run_id, "t" * over, "v"),
    ):
        with pytest.raises(MlflowException, match="exceeds the maximum length of 250") as error:
            call()
        assert error.value.error_code == "INVALID_PARAMETER_VALUE"

    # values: at the limit unchanged; one over truncated as MLflow truncates, with its warning
    param_limit, tag_limit = LIMITS["param value"], LIMITS["tag value"]
    assert mlflow_warnings.messages == []
    client.log_param(run_id, "at", "a" * param_limit)
    client.set_tag(run_id, "at", "b" * tag_limit)
    assert mlflow_warnings.messages == []
    client.log_param(run_id, "over", "c" * (param_limit + 1))
    client.set_tag(run_id, "over", "d" * (tag_limit + 1))
    truncated = [m for m in mlflow_warnings.messages if "is truncated to" in m]
    assert len(truncated) == 2, mlflow_warnings.messages
    assert f"({param_limit + 1} characters) is truncated to {param_limit}" in truncated[0]
    assert f"({tag_limit + 1} characters) is truncated to {tag_limit}" in truncated[1]
    assert durable.flush(60)

    data = get_run(url, run_id)["data"]
    params = {p["key"]: p["value"] for p in data.get("params", [])}
    tags = {t["key"]: t["value"] for t in data.get("tags", [])}
    assert params == {"p" * at: "v", "at": "a" * param_limit, "over": "c" * param_limit}
    assert tags["t" * at] == "v" and "t" * over not in tags
    assert tags["at"] == "b" * tag_limit and tags["over"] == "d" * tag_limit

    # what plain MLflow stores for the over-limit values is the same
    plain = client.create_run("0").info.run_id
    mlflow_hook.original("log_param")(client, plain, "over", "c" * (param_limit + 1))
    mlflow_hook.original("set_tag")(client, plain, "over", "d" * (tag_limit + 1))
    plain_data = get_run(url, plain)["data"]
    assert {p["key"]: p["value"] for p in plain_data["params"]}["over"] == params["over"]
    assert {t["key"]: t["value"] for t in plain_data["tags"]}["over"] == tags["over"]

    logged = [Point(run_id, "k" * at, 0, 1000, 1.0)]
    assert record_points(figures, url, logged) == (0, 0)
    assert {m["key"] for m in data.get("metrics", [])} == {"k" * at}
    assert not durable.dead_letter_path.exists()
