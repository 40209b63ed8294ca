"""Seed an MLflow SQLite store with many runs for the runs-table benchmark.

    python bench/seed_runs.py <backend-folder> [count] [experiment]

Writes <backend-folder>/mlflow.db (the file the embedded server then serves):
one experiment with `count` finished runs, each with 3 params and 3 metrics,
the first of them the parent of the next 10 (nested runs).

The store, its schema and the experiment come from MLflow's own SQL store.
The runs are written in batches through MLflow's own table definitions
(`mlflow.store.tracking.dbmodels`): creating 100,000 runs one `create_run` /
`log_batch` / `update_run_info` at a time takes hours on SQLite; a batched
insert of the same rows takes well under a minute. The first run is created
through the store's API and read back at the end through it, so a schema
drift would show as a failure here, not as an odd benchmark.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

BATCH = 5_000
SOLVERS = ["adam", "sgd", "lbfgs"]
ALPHAS = [0.001, 0.01, 0.1, 0.5, 1.0]


def run_rows(
    i: int, start: int
) -> tuple[str, int, float, list[tuple[str, str]], list[tuple[str, str]]]:
    """One run's name, start time, rmse, params and metric values."""
    t = start + i * 1000
    rmse = 0.2 + (i * 7919 % 1000) / 1000
    params = [
        ("alpha", str(ALPHAS[i % 5])),
        ("l1_ratio", str((i % 10) / 10)),
        ("solver", SOLVERS[i % 3]),
    ]
    metrics = [("rmse", str(rmse)), ("mae", str(rmse * 0.8)), ("r2", str(1 - rmse))]
    return f"run-{i:06d}", t, rmse, params, metrics


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    name = sys.argv[3] if len(sys.argv) > 3 else "bench-10k"
    folder.mkdir(parents=True, exist_ok=True)

    from mlflow.entities import Metric, Param, RunStatus, RunTag
    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import event

    store = SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", str(folder / "mlartifacts"))
    # A seed, not a workload: skip the per-transaction fsync.
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    experiment_id = store.create_experiment(name)
    artifact_root = store.get_experiment(experiment_id).artifact_location
    start = int(time.time() * 1000) - count * 1000
    began = time.perf_counter()

    # Run 0, the parent, through the store's API.
    run_name, t, _, params, metrics = run_rows(0, start)
    parent = store.create_run(
        experiment_id, "bench", t, [RunTag("mlflow.runName", run_name)], run_name
    )
    parent_id = parent.info.run_id
    store.log_batch(
        parent_id,
        metrics=[Metric(k, float(v), t + 500, 0) for k, v in metrics],
        params=[Param(k, v) for k, v in params],
        tags=[],
    )
    store.update_run_info(parent_id, RunStatus.FINISHED, t + 900, None)

    tables = {model: [] for model in (SqlRun, SqlTag, SqlParam, SqlMetric, SqlLatestMetric)}

    def flush() -> None:
        with store.ManagedSessionMaker() as session:
            for model, rows in tables.items():
                if rows:
                    session.execute(model.__table__.insert(), rows)
                    rows.clear()

    for i in range(1, count):
        run_name, t, _, params, metrics = run_rows(i, start)
        run_id = f"{i:032x}"
        tables[SqlRun].append(
            {
                "run_uuid": run_id,
                "name": run_name,
                "source_type": "LOCAL",
                "source_name": "",
                "entry_point_name": "",
                "user_id": "bench",
                "status": "FINISHED",
                "start_time": t,
                "end_time": t + 900,
                "source_version": "",
                "lifecycle_stage": "active",
                "artifact_uri": f"{artifact_root}/{run_id}/artifacts",
                "experiment_id": int(experiment_id),
            }
        )
        tables[SqlTag].append({"key": "mlflow.runName", "value": run_name, "run_uuid": run_id})
        tables[SqlTag].append({"key": "mlflow.user", "value": "bench", "run_uuid": run_id})
        if i <= 10:
            tables[SqlTag].append(
                {"key": "mlflow.parentRunId", "value": parent_id, "run_uuid": run_id}
            )
        for key, value in params:
            tables[SqlParam].append({"key": key, "value": value, "run_uuid": run_id})
        for key, value in metrics:
            row = {
                "key": key,
                "value": float(value),
                "timestamp": t + 500,
                "step": 0,
                "is_nan": False,
                "run_uuid": run_id,
            }
            tables[SqlMetric].append(row)
            tables[SqlLatestMetric].append(dict(row))
        if i % BATCH == 0:
            flush()
            print(f"{i} runs, {time.perf_counter() - began:.0f} s", flush=True)
    flush()

    # Read back through the store: a run written in bulk looks like one the
    # API wrote.
    last = store.get_run(f"{count - 1:032x}") if count > 1 else store.get_run(parent_id)
    assert last.info.status == "FINISHED" and len(last.data.params) == 3, last
    assert len(last.data.metrics) == 3, last
    elapsed = time.perf_counter() - began
    print(f"seeded {count} runs into experiment {experiment_id} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
