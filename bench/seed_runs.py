"""Seed an MLflow SQLite store with many runs for the runs-table benchmark.

    python bench/seed_runs.py <backend-folder> [count] [experiment]

Writes <backend-folder>/mlflow.db through MLflow's own SQL store (the file
the embedded server then serves): one experiment with `count` finished runs,
each with 3 params and 3 metrics, plus a parent run with 10 nested runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    name = sys.argv[3] if len(sys.argv) > 3 else "bench-10k"
    folder.mkdir(parents=True, exist_ok=True)

    from mlflow.entities import Metric, Param, RunStatus, RunTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", str(folder / "mlartifacts"))
    # A seed, not a workload: skip the per-transaction fsync.
    from sqlalchemy import event

    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    experiment_id = store.create_experiment(name)
    start = int(time.time() * 1000) - count * 1000
    solvers = ["adam", "sgd", "lbfgs"]
    began = time.perf_counter()
    parent_id = None
    for i in range(count):
        t = start + i * 1000
        tags = [RunTag("mlflow.runName", f"run-{i:05d}")]
        if parent_id is not None and i <= 10:
            tags.append(RunTag("mlflow.parentRunId", parent_id))
        run = store.create_run(experiment_id, "bench", t, tags, f"run-{i:05d}")
        run_id = run.info.run_id
        if i == 0:
            parent_id = run_id
        alpha = [0.001, 0.01, 0.1, 0.5, 1.0][i % 5]
        rmse = 0.2 + (i * 7919 % 1000) / 1000
        store.log_batch(
            run_id,
            metrics=[
                Metric("rmse", rmse, t + 500, 0),
                Metric("mae", rmse * 0.8, t + 500, 0),
                Metric("r2", 1 - rmse, t + 500, 0),
            ],
            params=[
                Param("alpha", str(alpha)),
                Param("l1_ratio", str((i % 10) / 10)),
                Param("solver", solvers[i % 3]),
            ],
            tags=[],
        )
        store.update_run_info(run_id, RunStatus.FINISHED, t + 900, None)
        if i and i % 1000 == 0:
            print(f"{i} runs, {time.perf_counter() - began:.0f} s", flush=True)
    elapsed = time.perf_counter() - began
    print(f"seeded {count} runs into experiment {experiment_id} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
