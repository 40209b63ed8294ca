"""GET /trackside/api/metrics/history: Arrow, complete reads, min/max-preserving downsampling."""

import json
import math
import time

import mlflow
import numpy as np
import pyarrow as pa
import pytest
from mlflow.entities import Metric
from tornado.httpclient import HTTPClientError

from trackside.server.history import ARROW_STREAM_MIMETYPE, PAGE_SIZE
from trackside.wire import SCHEMA

from .servers import MlflowServer

SERIES_LENGTH = PAGE_SIZE + 5_000  # more than one page of MLflow's get-history
SPIKE_STEP = 12_345


@pytest.fixture
def jp_server_config(real_mlflow: MlflowServer):
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        "Trackside": {"tracking_uri": real_mlflow.url},
    }


@pytest.fixture(scope="module")
def runs(real_mlflow: MlflowServer) -> dict[str, str]:
    client = mlflow.MlflowClient(tracking_uri=real_mlflow.url)
    experiment_id = client.create_experiment(f"history-{time.time_ns()}")
    long_run = client.create_run(experiment_id, run_name="long").info.run_id
    now = int(time.time() * 1000)
    values = np.sin(np.arange(SERIES_LENGTH) / 500.0)
    values[SPIKE_STEP] = 50.0  # a spike that stride sampling would lose
    values[SPIKE_STEP + 1] = float("nan")
    metrics = [Metric("loss", float(v), now + i, i) for i, v in enumerate(values)]
    for start in range(0, len(metrics), 1000):
        client.log_batch(long_run, metrics=metrics[start : start + 1000])
    short_run = client.create_run(experiment_id, run_name="short").info.run_id
    for step, value in enumerate([3.0, float("inf"), 1.0]):
        client.log_metric(short_run, "loss", value, timestamp=now + step, step=step)
    client.log_metric(short_run, "acc", 0.5, timestamp=now, step=0)
    return {"long": long_run, "short": short_run}


async def fetch_table(jp_fetch, params):
    response = await jp_fetch("trackside", "api", "metrics", "history", params=params)
    assert response.headers["Content-Type"] == ARROW_STREAM_MIMETYPE
    return pa.ipc.open_stream(response.body).read_all()


def rows(table: pa.Table) -> list[tuple]:
    return list(
        zip(
            table.column("run_id").to_pylist(),
            table.column("key").to_pylist(),
            table.column("step").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        )
    )


async def test_small_series_are_exact_with_the_protocol_schema(jp_fetch, runs):
    table = await fetch_table(jp_fetch, {"run_id": runs["short"], "key": "loss"})
    assert table.schema.equals(SCHEMA)
    for name in ("step", "timestamp", "value"):
        assert table.schema.field(name).type == pa.float64()
    assert rows(table) == [
        (runs["short"], "loss", 0.0, 3.0),
        (runs["short"], "loss", 1.0, math.inf),
        (runs["short"], "loss", 2.0, 1.0),
    ]


async def test_long_series_is_read_completely_across_pages(jp_fetch, runs):
    params = {"run_id": runs["long"], "key": "loss", "max_points": str(SERIES_LENGTH)}
    table = await fetch_table(jp_fetch, params)
    assert table.num_rows == SERIES_LENGTH
    assert table.column("step").to_pylist() == [float(i) for i in range(SERIES_LENGTH)]
    assert table.column("value")[SPIKE_STEP].as_py() == 50.0
    assert math.isnan(table.column("value")[SPIKE_STEP + 1].as_py())


async def test_downsampled_series_keeps_the_spike_and_the_ends(jp_fetch, runs):
    table = await fetch_table(
        jp_fetch, {"run_id": runs["long"], "key": "loss", "max_points": "400"}
    )
    steps = table.column("step").to_pylist()
    assert 100 < table.num_rows <= 400
    assert steps[0] == 0.0 and steps[-1] == SERIES_LENGTH - 1
    assert steps == sorted(steps)
    assert 50.0 in table.column("value").to_pylist()
    assert min(table.column("value").to_pylist()) == pytest.approx(-1.0, abs=1e-3)


async def test_zoomed_range_is_exact_when_it_fits(jp_fetch, runs):
    params = {
        "run_id": runs["long"],
        "key": "loss",
        "start_step": "1000",
        "end_step": "1999",
        "max_points": "2000",
    }
    table = await fetch_table(jp_fetch, params)
    assert table.column("step").to_pylist() == [float(i) for i in range(1000, 2000)]


async def test_several_runs_and_keys_in_one_answer(
    jp_fetch, runs, http_server_client, jp_base_url, jp_auth_header
):
    response = await jp_fetch(
        "trackside",
        "api",
        "metrics",
        "history",
        params={"run_id": runs["short"], "key": "acc"},
    )
    table = pa.ipc.open_stream(response.body).read_all()
    assert rows(table) == [(runs["short"], "acc", 0.0, 0.5)]
    # Two runs: built by hand because jp_fetch's params cannot repeat a name.
    query = f"run_id={runs['short']}&run_id={runs['long']}&key=loss&max_points=100"
    response = await http_server_client.fetch(
        f"{jp_base_url}trackside/api/metrics/history?{query}", headers=jp_auth_header
    )
    table = pa.ipc.open_stream(response.body).read_all()
    assert set(table.column("run_id").to_pylist()) == {runs["short"], runs["long"]}
    assert table.column("run_id").type == pa.dictionary(pa.int32(), pa.utf8())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"key": "loss"}, "at least one 'run_id'"),
        ({"run_id": "x", "key": "loss", "max_points": "lots"}, "must be a number"),
        ({"run_id": "x", "key": "loss", "max_points": "2"}, "between 4"),
    ],
)
async def test_bad_queries_get_a_clear_400(jp_fetch, params, message):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("trackside", "api", "metrics", "history", params=params)
    assert info.value.code == 400
    assert message in json.loads(info.value.response.body)["message"]


async def test_unknown_run_is_an_empty_table_as_in_mlflow(jp_fetch):
    # MLflow's get-history answers an unknown run with no points, not an error.
    table = await fetch_table(jp_fetch, {"run_id": "no-such-run", "key": "x"})
    assert table.schema.equals(SCHEMA)
    assert table.num_rows == 0
