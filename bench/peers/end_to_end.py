"""1,000,000 points end to end: time until every point is readable from each tool's own store.

Per tool, one fresh kernel: ``open_cell``, then one cell logs ``POINTS`` points in a tight loop
(``log(step, step * 0.5)``) and the tool's ``close_cell`` (its own flush: ``end_run`` plus the
journal's drain, ``flush_async_logging``, ``wandb.finish``, ``trackio.finish``,
``SummaryWriter.close``, ``Run.close``). The clock runs from the first log call (the kernel's
wall clock) until the harness has read every point back from the tool's store
(``tools.read_points``: MLflow's SQLite with SQL, the others with their own readers) with the
exact count and checksum over (step, value); when
a read after the close comes back short, the store is read again until complete (or
``PATIENCE`` s); the clock stops when the read that found them all started. The kernel's
RSS is sampled every 0.2 s (psutil) from before the loop to the end of the close: growth =
peak - before.

MLflow sync and async log ``FEWER`` points (see there) and the table says so.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any

import psutil

from .results import reported, selected, unavailable, write
from .tools import Tool, backends, checksum, expected_checksum, kernel_for

POINTS = 1_000_000
QUICK_POINTS = 20_000
#: MLflow sync makes one REST call per point; MLflow async sends about one point per request
#: (its queue hardly batches a tight loop's calls): 1,000,000 points would take hours each.
FEWER = {"mlflow_sync": 1_000, "mlflow_async": 5_000}
QUICK_FEWER = {"mlflow_sync": 100, "mlflow_async": 500}
PATIENCE = 600.0

LOOP = """
import time as _time, json as _json
_first_call = _time.time()
for _step in range({points}):
    log(_step, _step * 0.5)
_loop_end = _time.time()
print(_json.dumps({{"first_call": _first_call, "loop_end": _loop_end}}))
"""


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.before = self.process.memory_info().rss
        self.peak = self.before
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return

    def growth_mb(self) -> float:
        self.done.set()
        self.join()
        return (self.peak - self.before) / 2**20


def measure(tool: Tool, store_root: Any, points: int) -> dict[str, Any]:
    store = store_root / "end_to_end" / tool.key
    run_name = f"end_to_end-{tool.key}"
    kernel = kernel_for(tool, store)
    try:
        kernel.run(tool.open_cell(store, run_name))
        sampler = RssSampler(kernel.pid)
        sampler.start()
        clock = json.loads(kernel.run(LOOP.format(points=points)).strip().splitlines()[-1])
        kernel.run(tool.close_cell())
        closed = time.time()
        rss_growth = sampler.growth_mb()
    finally:
        kernel.shutdown()
    deadline = time.monotonic() + PATIENCE
    reads = 0
    while True:
        # Readable at the start of the first read that finds every point: how fast each
        # tool's reader is (the harness's business) stays out of the figure.
        readable = time.time()
        stored = tool.read_points(store, run_name)
        reads += 1
        if len(stored) >= points or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    read_s = time.time() - readable
    count_ok = len(stored) == points and len({s for s, _ in stored}) == points
    return {
        "status": "ok",
        "points": points,
        "seconds_to_readable": readable - clock["first_call"],
        "loop_s": clock["loop_end"] - clock["first_call"],
        "close_s": closed - clock["loop_end"],
        "read_s": read_s,
        "reads": reads,
        "stored": len(stored),
        "count_ok": count_ok,
        "checksum_ok": checksum(stored) == expected_checksum(points),
        "rss_growth_mb": rss_growth,
        "how": how(tool.key, points),
    }


def how(key: str, points: int) -> str:
    text = (
        f"{points:,} points: first log call until the last one is read back from the tool's"
        " own store (count and checksum), kernel RSS peak - before"
    )
    if key == "mlflow_sync":
        text += "; fewer points: one REST call per point"
    if key == "mlflow_async":
        text += "; fewer points: its queue sends about one point per request"
    if key == "wandb":
        text += "; wandb-core's own process not counted in the RSS"
    return text


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    with backends() as backend:
        for tool in selected(args):
            missing = unavailable(tool)
            if missing:
                results[tool.key] = missing
                continue
            fewer = QUICK_FEWER if args.quick else FEWER
            default = QUICK_POINTS if args.quick else POINTS
            points = fewer.get(tool.key, getattr(args, "points", None) or default)
            with reported(results, tool):
                started = time.monotonic()
                results[tool.key] = measure(tool, backend.root, points)
                figures = {k: v for k, v in results[tool.key].items() if k != "how"}
                print(f"end_to_end {tool.key} ({time.monotonic() - started:.0f} s): {figures}")
    return write("end_to_end", results)
