"""The 1,000,000-point drain on the PostgreSQL team server (issue 12, point 4).

    .venv/bin/python bench/drain_postgres.py [--points 1000000] [--in-flight 4] [--workers 4]
                                             [--modes n,1,client] [--repeat 1] [--json out.json]

Starts a throw-away PostgreSQL cluster, moto's S3 and ``mlflow server --workers 4`` on them
(``bench/kernel_driver.py``), warms it up with 20,000 points, then runs each mode of
``--modes`` on it:

- ``n`` and ``1``: a fresh tracked kernel (``%load_ext trackside``) whose sender keeps
  ``--in-flight`` requests (or 1) on their way (``TRACKSIDE_SENDER_IN_FLIGHT``);
  ``mlflow.log_metric`` in a tight loop ``--points`` times, then the time from the end of the
  loop until MLflow acknowledged every point (``durable.flush``), and the exact number of
  metric rows PostgreSQL holds for the run;
- ``client``: the server's own ceiling, what plain MLflow gets from it: ``MlflowClient().log_batch``
  of ready-made 1000-metric batches (MLflow's limit) from ``--in-flight`` threads in this
  process, ``--points`` points, timed from the first request to the last answer.

For every phase the CPU seconds used by the MLflow server's workers, by PostgreSQL and by the
sending side (the kernel, or this process for ``client``) are recorded: on a shared machine the
wall time depends on the share of the cores the load leaves, the CPU seconds per point do not,
and they tell where the time goes. With ``--repeat`` the order alternates (n, 1, client, then
client, 1, n ...) so that a change in the machine's load hits every mode; each mode records the
load average around it. A benchmark: it measures and prints; the target (drain ≤ 60 s) is read
off the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.kernel_driver import (
    TeamServer,
    TrackedKernel,
    cpu_used,
    finish,
    machine,
    team_server,
    team_server_arguments,
)

BATCH = 1000  # MLflow's limit of metrics per log-batch request

LOOP = """
import json, time, mlflow
from trackside.kernel.journal.durable import active
run = mlflow.start_run(run_name="drain-{in_flight}")
log_metric = mlflow.log_metric
cpu0 = time.process_time()
t0 = time.monotonic()
for i in range({points}):
    log_metric("x", i * 0.5, step=i)
t1 = time.monotonic()
cpu1 = time.process_time()
backlog = active().backlog()
print(json.dumps({{"run_id": run.info.run_id, "loop_s": t1 - t0, "backlog_at_loop_end": backlog,
                  "kernel_cpu_loop_s": cpu1 - cpu0}}))
"""

DRAIN = """
acked = active().flush(3600)
t2 = time.monotonic()
print(json.dumps({"drain_s": t2 - t1, "acked": acked,
                  "kernel_cpu_drain_s": time.process_time() - cpu1}))
mlflow.end_run()
"""


def trackside_mode(team: TeamServer, points: int, in_flight: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    kernel = TrackedKernel(
        team.url, team.root / f"journal-{in_flight}", TRACKSIDE_SENDER_IN_FLIGHT=str(in_flight)
    )
    try:
        start = team.cpu_seconds()
        figures = kernel.json(LOOP.format(points=points, in_flight=in_flight))
        loop_end = team.cpu_seconds()
        figures.update(kernel.json(DRAIN))
        end = team.cpu_seconds()
    finally:
        kernel.stop()
    figures["mode"] = f"trackside, {in_flight} in flight"
    figures["in_flight"] = in_flight
    figures["cpu_s_loop"] = cpu_used(start, loop_end)
    figures["cpu_s_drain"] = cpu_used(loop_end, end)
    figures["load_1min_before_after"] = [load_before, os.getloadavg()[0]]
    figures["rows_in_postgres"] = team.metric_rows(figures["run_id"])
    figures["exact"] = figures["rows_in_postgres"] == points
    backlog = figures["backlog_at_loop_end"] or 0
    figures["drain_points_per_s"] = backlog / figures["drain_s"] if figures["drain_s"] else None
    return figures


def client_mode(team: TeamServer, points: int, threads: int) -> dict[str, Any]:
    """Plain MLflow's ceiling: log_batch of ready-made batches from ``threads`` threads."""
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    load_before = os.getloadavg()[0]
    client = MlflowClient(tracking_uri=team.url)
    run_id = client.create_run("0", run_name="ceiling").info.run_id
    now = int(time.time() * 1000)
    batches = [
        [Metric("x", i * 0.5, now, i) for i in range(start, min(points, start + BATCH))]
        for start in range(0, points, BATCH)
    ]
    start_cpu, own_cpu = team.cpu_seconds(), time.process_time()
    t0 = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda batch: client.log_batch(run_id, metrics=batch), batches))
    seconds = time.monotonic() - t0
    cpu = cpu_used(start_cpu, team.cpu_seconds())
    cpu["client"] = round(time.process_time() - own_cpu, 2)
    client.set_terminated(run_id)
    stored = team.metric_rows(run_id)
    return {
        "mode": f"MlflowClient.log_batch, {threads} threads",
        "run_id": run_id,
        "in_flight": threads,
        "seconds": seconds,
        "points_per_s": points / seconds,
        "cpu_s": cpu,
        "load_1min_before_after": [load_before, os.getloadavg()[0]],
        "rows_in_postgres": stored,
        "exact": stored == points,
    }


def summary(results: dict[str, Any], points: int) -> str:
    modes = results["modes"]
    lines = [f"{points:,} points, PostgreSQL + {results['workers']} workers:"]
    for name in ("n", "1"):
        runs = [m for m in modes if m["mode"].startswith("trackside") and _name(m) == name]
        if runs:
            drain = statistics.median(m["drain_s"] for m in runs)
            rate = statistics.median(m["drain_points_per_s"] for m in runs)
            server = statistics.median(
                m["cpu_s_drain"]["mlflow_server"] / max(1, m["backlog_at_loop_end"]) * 1e6
                for m in runs
            )
            results[f"drain_median_{name}_s"] = drain
            lines.append(
                f"  Trackside, {runs[0]['in_flight']} in flight: drain (median) {drain:.1f} s,"
                f" {rate:,.0f} points/s after the loop; MLflow server {server:.0f} µs CPU/point"
            )
    ceiling = [m for m in modes if m["mode"].startswith("MlflowClient")]
    if ceiling:
        rate = statistics.median(m["points_per_s"] for m in ceiling)
        server = statistics.median(m["cpu_s"]["mlflow_server"] / points * 1e6 for m in ceiling)
        results["ceiling_points_per_s"] = rate
        lines.append(
            f"  MlflowClient.log_batch ceiling: {rate:,.0f} points/s;"
            f" MLflow server {server:.0f} µs CPU/point"
        )
        tracked = [m for m in modes if m["mode"].startswith("trackside") and _name(m) == "n"]
        if tracked:
            share = statistics.median(m["drain_points_per_s"] for m in tracked) / rate
            results["drain_rate_over_ceiling"] = share
            lines.append(f"  Trackside's drain rate / the ceiling: {share:.2f}")
    lines.append(f"  every run exact: {all(m['exact'] for m in modes)}")
    return "\n".join(lines)


def _name(mode: dict[str, Any]) -> str:
    return "1" if mode["in_flight"] == 1 else "n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--modes", default="n,1,client", help="n, 1 and/or client")
    parser.add_argument("--repeat", type=int, default=1)
    team_server_arguments(parser)
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    results: dict[str, Any] = {"points": args.points, "workers": args.workers, **machine()}
    results["modes"] = []
    with team_server(args.workers, "trackside-drain-") as team:
        # a fresh server's first requests are slower (imports, SQL caches): not any mode's
        warm_up = client_mode(team, min(args.points, 20 * BATCH), args.in_flight)
        results["warm_up_points_per_s"] = warm_up["points_per_s"]
        for round_ in range(args.repeat):
            # alternate the order: a warmer database or a change of load hits every mode
            for mode in modes if round_ % 2 == 0 else modes[::-1]:
                if mode == "client":
                    figures = client_mode(team, args.points, args.in_flight)
                else:
                    in_flight = 1 if mode == "1" else args.in_flight
                    figures = trackside_mode(team, args.points, in_flight)
                print(json.dumps(figures), flush=True)
                results["modes"].append(figures)
    print(summary(results, args.points))
    finish(results, args.json)


if __name__ == "__main__":
    main()
