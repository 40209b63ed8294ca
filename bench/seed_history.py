"""Seed an MLflow SQLite store with one long metric series for the history-render benchmark.

    python bench/seed_history.py <backend-folder> [points] [experiment]

Writes <backend-folder>/mlflow.db with MLflow's own client (``MlflowClient.log_batch``, 1000
points a call, straight into the SQL store): one experiment holding a finished run
``history-1m`` whose metric ``loss`` has ``points`` steps (a decaying curve with a spike of +2
every 100,000 steps), and a small run ``warmup`` (10 points of ``loss``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

SPIKE_EVERY = 100_000
SPIKE_AT = 77_777


def value(step: int) -> float:
    """The seeded value of ``step``."""
    spike = 2.0 if step % SPIKE_EVERY == SPIKE_AT else 0.0
    return 1 / (1 + step / 50_000) + (step * 7919 % 1000) / 20_000 + spike


def main() -> None:
    folder = Path(sys.argv[1]).resolve()
    points = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    name = sys.argv[3] if len(sys.argv) > 3 else "bench-history"
    folder.mkdir(parents=True, exist_ok=True)

    from mlflow import MlflowClient
    from mlflow.entities import Metric
    from sqlalchemy import event

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    # A seed, not a workload: skip the per-transaction fsync.
    store = client._tracking_client.store
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    # Artifacts of the seeded runs live where the embedded server keeps them.
    experiment_id = client.create_experiment(name, artifact_location=f"mlflow-artifacts:/{name}")
    start = int(time.time() * 1000) - points

    warmup = client.create_run(experiment_id, run_name="warmup", start_time=start - 60_000)
    client.log_batch(
        warmup.info.run_id,
        metrics=[Metric("loss", value(s), start - 60_000 + s, s) for s in range(10)],
    )
    client.set_terminated(warmup.info.run_id, end_time=start - 50_000)

    run = client.create_run(experiment_id, run_name="history-1m", start_time=start)
    run_id = run.info.run_id
    began = time.perf_counter()
    for first in range(0, points, 1000):
        steps = range(first, min(points, first + 1000))
        client.log_batch(run_id, metrics=[Metric("loss", value(s), start + s, s) for s in steps])
        if first and first % 100_000 == 0:
            print(f"{first} points, {time.perf_counter() - began:.0f} s", flush=True)
    client.set_terminated(run_id, end_time=start + points)
    print(f"seeded {points} points into run {run_id} in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
