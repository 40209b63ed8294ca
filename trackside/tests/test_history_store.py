"""The history read straight from the embedded backend's store gives what MLflow gives."""

import asyncio
import math
import sqlite3
import time
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.entities import Metric

from trackside.server.backend import BackendManager, BackendOptions, Mode
from trackside.server.history import read_series
from trackside.server.history_store import StoreHistoryReader
from trackside.server.upstream import Upstream

from .servers import MlflowServer


@pytest.fixture(scope="module")
def logged(real_mlflow: MlflowServer) -> dict[str, str]:
    """A run whose history has NaN, ±inf, duplicates at one step and out-of-order steps."""
    client = mlflow.MlflowClient(tracking_uri=real_mlflow.url)
    experiment_id = client.create_experiment(f"store-{time.time_ns()}")
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)
    values = [0.5, float("nan"), float("inf"), float("-inf"), 2.0, 1.0, 3.0]
    steps = [5, 1, 2, 3, 0, 4, 4]
    metrics = [
        Metric("loss", v, now + i, s) for i, (v, s) in enumerate(zip(values, steps, strict=True))
    ]
    metrics += [Metric("other", 9.0, now, 0)]
    client.log_batch(run_id, metrics=metrics)
    return {"run_id": run_id}


def mlflow_history(url: str, run_id: str, key: str) -> list[tuple[float, float, float]]:
    """MLflow's history, with the ±DBL_MAX its SQL store keeps for ±inf given back as
    ±inf (what the history endpoint does on both of its paths)."""
    history = mlflow.MlflowClient(tracking_uri=url).get_metric_history(run_id, key)
    largest = np.finfo(np.float64).max
    unclip = {largest: math.inf, -largest: -math.inf}
    return sorted((m.step, m.timestamp, unclip.get(m.value, m.value)) for m in history)


def same(a: list[tuple[float, ...]], b: list[tuple[float, ...]]) -> bool:
    """Equal, NaN equal to NaN."""
    return len(a) == len(b) and all(
        all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(p, q, strict=True))
        for p, q in zip(a, b, strict=True)
    )


def test_store_reads_what_mlflow_gives(real_mlflow: MlflowServer, logged: dict[str, str]):
    reader = StoreHistoryReader(real_mlflow.root / "mlflow.db")
    step, stamp, value = reader.read(logged["run_id"], "loss")
    got = list(zip(step.tolist(), stamp.tolist(), value.tolist(), strict=True))
    expected = mlflow_history(real_mlflow.url, logged["run_id"], "loss")
    assert same(got, expected)
    assert np.isinf(value).sum() == 2 and np.isnan(value).sum() == 1
    assert list(step) == sorted(step)  # sorted by step (then timestamp), as the REST path
    assert reader.read("no-such-run", "loss")[0].size == 0


def test_store_connection_is_read_only(real_mlflow: MlflowServer, logged: dict[str, str]):
    from trackside.server import history_store

    reader = StoreHistoryReader(real_mlflow.root / "mlflow.db")
    uri = f"{reader.db_path.resolve().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db, pytest.raises(sqlite3.OperationalError):
        db.execute("DELETE FROM metrics")
    assert "SELECT" in history_store._history_query()


class FailingStore(StoreHistoryReader):
    def read(self, run_id: str, key: str):
        raise sqlite3.OperationalError("database is locked")


def test_series_comes_from_the_store_without_asking_mlflow(
    real_mlflow: MlflowServer, logged: dict[str, str]
):
    nowhere = Upstream("http://127.0.0.1:9")  # nothing listens: REST would fail
    reader = StoreHistoryReader(real_mlflow.root / "mlflow.db")
    series = asyncio.run(read_series(nowhere, reader, logged["run_id"], "other"))
    assert series.value.tolist() == [9.0]


def test_store_failure_falls_back_to_mlflow(real_mlflow: MlflowServer, logged: dict[str, str]):
    upstream = Upstream(real_mlflow.url)
    failing = FailingStore(real_mlflow.root / "mlflow.db")
    series = asyncio.run(read_series(upstream, failing, logged["run_id"], "loss"))
    expected = mlflow_history(real_mlflow.url, logged["run_id"], "loss")
    got = list(
        zip(series.step.tolist(), series.timestamp.tolist(), series.value.tolist(), strict=True)
    )
    assert same(got, expected)


def test_only_the_embedded_backend_is_read_directly(tmp_path: Path, real_mlflow: MlflowServer):
    external = BackendManager(BackendOptions(root_dir=tmp_path, tracking_uri=real_mlflow.url))
    assert external.mode is Mode.EXTERNAL
    assert external.history_store is None
    embedded = BackendManager(
        BackendOptions(tracking_uri=None, root_dir=tmp_path, port=0, adopt_existing=False)
    )
    assert embedded.mode is Mode.EMBEDDED
    assert embedded.history_store is not None
    assert embedded.history_store.db_path == tmp_path / "mlflow.db"
