"""Ticks at a steady rate for the project benchmarks, after a go signal.

Both modes first print "waiting for go" and wait until a file named `go` exists in the current
folder (the project's: `mlflow run` runs the command there), so that the benchmark starts the
clock only once its observers are in place.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

GO = Path("go")


def wait_for_go(timeout: float = 600) -> None:
    print("waiting for go", flush=True)
    deadline = time.monotonic() + timeout
    while not GO.exists():
        if time.monotonic() > deadline:
            sys.exit(f"no {GO.resolve()} within {timeout:.0f} s")
        time.sleep(0.01)


def lines(count: int, interval: float) -> None:
    wait_for_go()
    next_tick = time.monotonic()
    for i in range(1, count + 1):
        next_tick += interval
        time.sleep(max(0.0, next_tick - time.monotonic()))
        stream = sys.stdout if i % 2 else sys.stderr
        print(f"tick {i} {time.time():.6f}", file=stream, flush=True)


def metric(count: int, interval: float) -> None:
    import mlflow

    with mlflow.start_run():  # the project's run (MLFLOW_RUN_ID)
        mlflow.log_metric("tick", 0.0, step=0)
        wait_for_go()
        next_tick = time.monotonic()
        for i in range(1, count + 1):
            next_tick += interval
            time.sleep(max(0.0, next_tick - time.monotonic()))
            mlflow.log_metric("tick", (i * 7919 % 1000) / 1000, step=i)
            print(f"step {i}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["lines", "metric"])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--interval", type=float, required=True)
    args = parser.parse_args()
    (lines if args.mode == "lines" else metric)(args.count, args.interval)
