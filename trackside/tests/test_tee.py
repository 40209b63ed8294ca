"""The metric feed and the MLflow hook: every logging path reaches subscribers; MLflow's
routing holds."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import Run, RunTag

from trackside.kernel import mlflow_hook
from trackside.kernel.journal.durable import DurableLogging
from trackside.kernel.journal.records import Metric
from trackside.kernel.live import feed
from trackside.kernel.live.feed import MetricPoint

from .kernel_helpers import get_run, history


@pytest.fixture
def points() -> Iterator[list[MetricPoint]]:
    got: list[MetricPoint] = []
    unsubscribe = mlflow_hook.listen(got.extend)
    yield got
    unsubscribe()
    assert not mlflow_hook.installed(), "the hook must be removed with its last user"


def _log_everything(client: MlflowClient, run_id: str) -> None:
    mlflow.log_metric("a", 1.0, step=1)
    mlflow.log_metrics({"b": 2.0, "c": math.nan}, step=2)
    client.log_metric(run_id, "d", 4.0, timestamp=123, step=4)
    client.log_batch(run_id, metrics=[MlflowMetric("e", -math.inf, 5, 5)])


def _keys(points: Sequence[MetricPoint]) -> list[str]:
    return [p.key for p in points]


def test_tee_without_durable_logging(uri: str, points: list[MetricPoint]) -> None:
    client = MlflowClient()
    with mlflow.start_run() as run:
        _log_everything(client, run.info.run_id)
    assert _keys(points) == ["a", "b", "c", "d", "e"]
    by_key = {p.key: p for p in points}
    assert by_key["a"].step == 1 and by_key["a"].run_id == run.info.run_id
    assert math.isnan(by_key["c"].value) and by_key["e"].value == -math.inf
    assert by_key["d"].timestamp == 123
    # the feed only looks: the data went to MLflow synchronously as usual
    assert history(uri, run.info.run_id, "d") == [(4, 123, 4.0)]


def test_tee_with_durable_logging(uri: str, points: list[MetricPoint], tmp_path: Path) -> None:
    durable = DurableLogging(journal_dir=tmp_path)
    durable.install()
    try:
        client = MlflowClient()
        with mlflow.start_run() as run:
            _log_everything(client, run.info.run_id)
        assert _keys(points) == ["a", "b", "c", "d", "e"]
        assert durable.flush(30)
    finally:
        durable.uninstall()
    assert history(uri, run.info.run_id, "b")[0][2] == 2.0


def test_invalid_points_are_not_teed(uri: str, points: list[MetricPoint], tmp_path: Path) -> None:
    durable = DurableLogging(journal_dir=tmp_path)
    durable.install()
    try:
        with mlflow.start_run():
            with pytest.raises(mlflow.MlflowException):
                mlflow.log_metric("bad key!", 1.0)
            mlflow.log_metric("good", 1.0)
    finally:
        durable.uninstall()
    assert _keys(points) == ["good"]


def test_raising_subscriber_warns_once_and_never_breaks_logging(
    uri: str, points: list[MetricPoint]
) -> None:
    def broken(_: Sequence[MetricPoint]) -> None:
        raise RuntimeError("boom")

    unsubscribe = mlflow_hook.listen(broken)
    try:
        with mlflow.start_run(), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mlflow.log_metric("x", 1.0)
            mlflow.log_metric("x", 2.0, step=1)
        assert len([w for w in caught if issubclass(w.category, feed.FeedWarning)]) == 1
    finally:
        unsubscribe()
    assert _keys(points) == ["x", "x"]  # the other subscriber still got everything


def test_unsubscribe_is_idempotent_and_unhooks() -> None:
    unsubscribe = mlflow_hook.listen(lambda _: None)
    assert mlflow_hook.installed()
    unsubscribe()
    unsubscribe()
    assert not mlflow_hook.installed()
    assert MlflowClient.log_metric is mlflow_hook.original("log_metric")


@pytest.mark.slow
def test_tee_keras_autolog(uri: str, points: list[MetricPoint]) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)), rng.normal(size=(64, 1))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    mlflow.keras.autolog(log_models=False)
    try:
        with mlflow.start_run() as run:
            model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25)
    finally:
        mlflow.keras.autolog(disable=True)
    losses = [p for p in points if p.key == "loss" and p.run_id == run.info.run_id]
    assert [p.step for p in losses] == [0, 1, 2]
    assert {"val_loss"} <= set(_keys(points))
    stored = history(uri, run.info.run_id, "loss")
    assert [s[2] for s in stored] == [p.value for p in losses]


@pytest.mark.slow
def test_tee_sklearn_autolog(uri: str, points: list[MetricPoint]) -> None:
    import numpy as np
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_models=False, log_datasets=False)
    try:
        with mlflow.start_run() as run:
            LinearRegression().fit(np.arange(20.0).reshape(-1, 1), np.arange(20.0) * 2)
    finally:
        mlflow.sklearn.autolog(disable=True)
    teed = {p.key for p in points if p.run_id == run.info.run_id}
    assert {"training_score", "training_r2_score", "training_mean_squared_error"} <= teed
    assert set(get_run(uri, run.info.run_id)["data"].get("metrics", [{}])[0]) >= {"key"}


# --- routing: fails if MLflow stops sending a logging path through these methods -------------


class Recorder:
    """A sink that records what reached it and sends nothing."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        self.calls: list[tuple[str, Any]] = []

    def log_metric(self, run_id: str, key: str, value: Any, timestamp: int, step: int,
                   *extra: str | None) -> Metric:  # fmt: skip
        self.calls.append(("metric", key))
        return Metric(run_id, key, float(value), timestamp, step)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MlflowMetric],
        params: Sequence[MlflowParam],
        tags: Sequence[RunTag],
    ) -> list[Metric]:
        self.calls += [("metric", m.key) for m in metrics]
        self.calls += [("param", p.key) for p in params]
        self.calls += [("tag", t.key) for t in tags]
        return [Metric(run_id, m.key, float(m.value), m.timestamp, m.step) for m in metrics]

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.calls.append(("param", key))

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self.calls.append(("tag", key))

    def update_run(self, run_id: str, status: str | None, end_time: int | None,
                   name: str | None) -> None:  # fmt: skip
        self.calls.append(("run", status or name))

    def observe_run(self, run: Run, created: bool) -> None:
        self.calls.append(("created" if created else "fetched", run.info.run_id))


def test_routing_of_every_public_logging_path(uri: str) -> None:
    recorder = Recorder(mlflow.get_tracking_uri())
    mlflow_hook.acquire()
    mlflow_hook.set_sink(recorder)
    try:
        run = mlflow.start_run()
        run_id = run.info.run_id
        mlflow.log_metric("m1", 1.0)
        mlflow.log_metrics({"m2": 2.0})
        mlflow.log_param("p1", 1)
        mlflow.log_params({"p2": 2})
        mlflow.set_tag("t1", "x")
        mlflow.set_tags({"t2": "y"})
        client = MlflowClient()
        client.log_metric(run_id, "m3", 3.0)
        client.log_batch(run_id, metrics=[MlflowMetric("m4", 4.0, 1, 0)],
                         params=[MlflowParam("p3", "3")], tags=[RunTag("t3", "z")])  # fmt: skip
        client.update_run(run_id, name="renamed")
        mlflow.end_run()
    finally:
        mlflow_hook.set_sink(None)
        mlflow_hook.release()
    logged = [c for c in recorder.calls if c[0] not in ("created", "fetched")]
    assert logged == [
        ("metric", "m1"), ("metric", "m2"), ("param", "p1"), ("param", "p2"),
        ("tag", "t1"), ("tag", "t2"), ("metric", "m3"), ("metric", "m4"),
        ("param", "p3"), ("tag", "t3"), ("run", "renamed"), ("run", "FINISHED"),
    ]  # fmt: skip
    assert ("created", run_id) in recorder.calls
    # ... and nothing went around the hook to the server
    stored = get_run(uri, run_id)
    assert stored["info"]["status"] == "RUNNING"
    assert not stored["data"].get("metrics") and not stored["data"].get("params")
    assert not [t for t in stored["data"].get("tags", []) if t["key"] in {"t1", "t2", "t3"}]


def test_routing_hooks_exactly_these_methods() -> None:
    mlflow_hook.acquire()
    try:
        for name in mlflow_hook.HOOKED:
            wrapped = MlflowClient.__dict__[name]
            assert getattr(wrapped, "__trackside_original__", None) is not None, name
    finally:
        mlflow_hook.release()
    for name in mlflow_hook.HOOKED:
        assert not hasattr(MlflowClient.__dict__[name], "__trackside_original__")
