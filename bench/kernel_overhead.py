"""Kernel overhead of Trackside's durable logging (a benchmark, not a test).

    .venv/bin/python bench/kernel_overhead.py [--points 1000000] [--json out.json]

Starts an embedded ``mlflow server`` (SQLite) and, in this one process and against that one
server, measures the per-call cost of ``mlflow.log_metric`` in

  (a) durable mode as a tracked kernel has it: the fluent fast path (``fast_path.py``) + the
      journal + the background sender,
  (a+) the same with the metric feed's subscribers of a tracked kernel (the capture logger and
      the live stream's tee; the stream's sender thread is not running, no comm),
  (a') durable mode through MLflow's own fluent function (fast path off, hook only),
  (b) plain synchronous MLflow,
  (c) MLflow's own async logging (``synchronous=False``),

each with MLflow's registry URI unset (MLflow then looks for a Spark session on every
``MlflowClient()``, i.e. twice per ``log_metric``) and set (as a tracked kernel should have it).
(a), (a+), (a') and (c) are measured in interleaved rounds so that machine noise hits them alike.
Then logs ``--points`` points in a tight loop in durable mode and reports the time from the end
of the loop until MLflow acknowledged all of them, the count and checksum found in MLflow, and
the process's RSS growth (``--points 0``: skip that part).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import struct
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import mlflow
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trackside.kernel import fast_path, mlflow_hook  # noqa: E402
from trackside.kernel.capture.logger import CaptureLogger  # noqa: E402
from trackside.kernel.journal.durable import DurableLogging  # noqa: E402
from trackside.kernel.live.comm_stream import MetricStream  # noqa: E402
from trackside.tests.servers import mlflow_server  # noqa: E402


def per_call(n: int, **kwargs: Any) -> list[float]:
    """Seconds per ``mlflow.log_metric`` call, for ``n`` calls."""
    times = []
    clock = time.perf_counter_ns
    log_metric = mlflow.log_metric
    base = int(time.time() * 1000)
    for i in range(n):
        t = clock()
        log_metric("bench", float(i), step=i, timestamp=base + i, **kwargs)
        times.append((clock() - t) / 1e9)
    return times


def measure_modes(
    url: str, journal: Path, sizes: dict[str, int], rounds: int = 5
) -> dict[str, float]:
    times: dict[str, list[float]] = {"a": [], "a_feed": [], "a_fluent": [], "c": []}
    for _ in range(rounds):
        durable = DurableLogging(url, journal, flush_timeout=600)
        durable.install()
        assert fast_path.installed()
        with mlflow.start_run():
            times["a"] += per_call(sizes["a"] // rounds)
        stops = [
            mlflow_hook.listen(CaptureLogger().on_points),
            mlflow_hook.listen(MetricStream(max_buffered=10**8).feed),
        ]
        with mlflow.start_run():
            times["a_feed"] += per_call(sizes["a"] // rounds)
        for stop in stops:
            stop()
        fast_path.uninstall()
        with mlflow.start_run():
            times["a_fluent"] += per_call(sizes["a"] // rounds)
        fast_path.install()
        durable.flush(600)
        durable.uninstall()
        with mlflow.start_run():
            times["c"] += per_call(sizes["c"] // rounds, synchronous=False)
            mlflow.flush_async_logging()
    with mlflow.start_run():
        times["b"] = per_call(sizes["b"])
    out = {mode: statistics.median(t) for mode, t in times.items()}
    out["a_p99"] = statistics.quantiles(times["a"], n=100)[98]
    out["calls_a"] = len(times["a"])
    return out


def fetch_all(url: str, run_id: str, key: str) -> list[tuple[int, float]]:
    points = []
    token = ""
    while True:
        query = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            query["page_token"] = token
        with urllib.request.urlopen(
            f"{url}/api/2.0/mlflow/metrics/get-history?{urllib.parse.urlencode(query)}",
            timeout=300,
        ) as response:
            answer = json.loads(response.read())
        points += [(int(m.get("step", 0)), float(m["value"])) for m in answer.get("metrics", [])]
        token = answer.get("next_page_token", "")
        if not token:
            return points


def checksum(points: list[tuple[int, float]]) -> str:
    digest = hashlib.sha256()
    for step, value in sorted(points):
        digest.update(struct.pack("<qd", step, value))
    return digest.hexdigest()[:16]


def million(url: str, journal: Path, n: int) -> dict[str, Any]:
    proc = psutil.Process()
    durable = DurableLogging(url, journal, flush_timeout=5)
    durable.install()
    rss0 = proc.memory_info().rss
    peak = [rss0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    run = mlflow.start_run()
    log_metric = mlflow.log_metric
    t0 = time.perf_counter()
    for i in range(n):
        log_metric("million", i * 0.001, step=i)
    loop = time.perf_counter() - t0
    t1 = time.perf_counter()
    acknowledged = durable.flush(7200)
    drain = time.perf_counter() - t1
    done.set()
    sampler.join()
    expected = [(i, i * 0.001) for i in range(n)]  # after sampling: not the kernel's memory
    mlflow.end_run()
    durable.uninstall()
    stored = fetch_all(url, run.info.run_id, "million")
    return {
        "points": n,
        "loop_s": loop,
        "drain_after_loop_s": drain,
        "acknowledged": acknowledged,
        "stored_count": len(stored),
        "checksum_ok": checksum(stored) == checksum(expected),
        "rss_growth_mb": (peak[0] - rss0) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-modes", action="store_true", help="only the --points run")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="trackside-bench-"))
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "mlflow": mlflow.__version__,
    }
    # The tests' one way to run `mlflow server` (SQLite, one worker, no job runner).
    with mlflow_server(root / "server") as server:
        url = server.url
        mlflow.set_tracking_uri(url)
        sizes = {"a": 50000, "b": 300, "c": 10000}
        if not args.skip_modes:
            results["registry_unset"] = measure_modes(url, root / "journal", sizes)
        mlflow.set_registry_uri(url)  # what a tracked kernel should get from the server extension
        if not args.skip_modes:
            results["registry_set"] = measure_modes(url, root / "journal", sizes)
        if args.points:
            results["million"] = million(url, root / "journal", args.points)
    for mode in ("registry_unset", "registry_set"):
        if mode not in results:
            continue
        r = results[mode]
        print(
            f"{mode}: (a) durable + fast path {r['a'] * 1e6:.2f} us"
            f" (p99 {r['a_p99'] * 1e6:.1f} us, {r['calls_a']} calls),"
            f" (a+) with the feed's subscribers {r['a_feed'] * 1e6:.2f} us,"
            f" (a') durable via MLflow's fluent function {r['a_fluent'] * 1e6:.1f} us,"
            f" (b) sync {r['b'] * 1e6:.0f} us, (c) async {r['c'] * 1e6:.1f} us;"
            f" b/a = {r['b'] / r['a']:.0f}x, c/a = {r['c'] / r['a']:.1f}x,"
            f" c/(a+) = {r['c'] / r['a_feed']:.1f}x,"
            f" a'/a = {r['a_fluent'] / r['a']:.1f}x"
        )
    if "million" in results:
        print(json.dumps(results["million"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
