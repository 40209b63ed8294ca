"""The 1,000,000-point drain on the PostgreSQL team server (issue 12, point 4).

    .venv/bin/python bench/drain_postgres.py [--points 1000000] [--in-flight 4] [--repeat 1]
                                             [--json out.json]

Starts a throw-away PostgreSQL cluster, moto's S3 and ``mlflow server --workers 4`` on them
(``trackside/tests/team_backend.py``), then, for the sender with 1 request in flight and with
``--in-flight`` requests (``TRACKSIDE_SENDER_IN_FLIGHT``), each in a fresh tracked kernel
(``%load_ext trackside``): ``mlflow.log_metric`` in a tight loop ``--points`` times, then the
time from the end of the loop until MLflow acknowledged every point (``durable.flush``), and
the exact number of metric rows PostgreSQL holds for the run. With ``--repeat`` the two modes
alternate (N, 1, 1, N, N, 1 ...) so that a change in the machine's load hits both; each mode
records the load average around it. A benchmark: it measures and prints, the target (drain
≤ 60 s, in-flight N faster than 1) is read off the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.kernel_driver import TrackedKernel, metric_rows  # noqa: E402
from trackside.tests.team_backend import (  # noqa: E402
    moto_s3,
    postgres_cluster,
    team_mlflow_server,
)

CELL = """
import json, time, mlflow
from trackside.kernel.journal.durable import active
run = mlflow.start_run(run_name="drain-{in_flight}")
log_metric = mlflow.log_metric
t0 = time.monotonic()
for i in range({points}):
    log_metric("x", i * 0.5, step=i)
t1 = time.monotonic()
durable = active()
backlog = durable.backlog()
acked = durable.flush({flush_timeout})
t2 = time.monotonic()
print(json.dumps({{"run_id": run.info.run_id, "loop_s": t1 - t0, "drain_s": t2 - t1,
                  "backlog_at_loop_end": backlog, "acked": acked}}))
"""


def one_mode(url: str, root: Path, points: int, in_flight: int, cluster: Any) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    kernel = TrackedKernel(
        url, root / f"journal-{in_flight}", TRACKSIDE_SENDER_IN_FLIGHT=str(in_flight)
    )
    try:
        figures = kernel.json(CELL.format(points=points, in_flight=in_flight, flush_timeout=3600))
        kernel.run("mlflow.end_run()")
    finally:
        kernel.stop()
    figures["in_flight"] = in_flight
    figures["load_1min_before_after"] = [load_before, os.getloadavg()[0]]
    figures["rows_in_postgres"] = metric_rows(cluster, figures["run_id"])
    figures["exact"] = figures["rows_in_postgres"] == points
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "points": args.points,
        "workers": args.workers,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": os.getloadavg(),
        "modes": [],
    }
    with tempfile.TemporaryDirectory(prefix="trackside-drain-") as tmp:
        root = Path(tmp)
        with (
            postgres_cluster(root / "postgres") as cluster,
            moto_s3(root / "s3") as s3,
            team_mlflow_server(root / "mlflow", cluster, s3, workers=args.workers) as server,
        ):
            # N first, then 1 (a warmer database would favour the second), then the other way
            for round_ in range(args.repeat):
                order = (args.in_flight, 1) if round_ % 2 == 0 else (1, args.in_flight)
                for in_flight in order:
                    figures = one_mode(server.url, root, args.points, in_flight, cluster)
                    print(json.dumps(figures), flush=True)
                    results["modes"].append(figures)
    results["load_average_after"] = os.getloadavg()
    many = statistics.median(m["drain_s"] for m in results["modes"] if m["in_flight"] != 1)
    one = statistics.median(m["drain_s"] for m in results["modes"] if m["in_flight"] == 1)
    results["drain_median_n_s"], results["drain_median_1_s"] = many, one
    results["drain_ratio_1_over_n"] = one / many if many else None
    exact = all(m["exact"] for m in results["modes"])
    print(
        f"{args.points:,} points, PostgreSQL + {args.workers} workers, {args.repeat} round(s):"
        f" drain (median) {many:.1f} s with {args.in_flight} in flight, {one:.1f} s with 1"
        f" ({results['drain_ratio_1_over_n']:.2f}x); every run exact: {exact}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
