"""Eight tracked kernels streaming at once into the PostgreSQL team server (issue 12, point 4).

    .venv/bin/python bench/eight_kernels.py [--kernels 8] [--rate 10000] [--seconds 30]

Starts a throw-away PostgreSQL cluster, moto's S3 and ``mlflow server --workers 4``
(``bench/kernel_driver.py``) and ``--kernels`` tracked kernels (``%load_ext
trackside``), each in a run of its own. All kernels then log ``--rate`` points a second with
``mlflow.log_metric`` (paced in 10 ms ticks, ``timestamp`` = the wall clock at the call) for
``--seconds`` s, at the same time. Measured:

- live latency at the comm: this process holds each kernel's jupyter_client channels (as the
  Jupyter server does) and decodes every ``trackside.metrics`` "points" message (Arrow) the
  moment it arrives; latency of a point = arrival - its ``timestamp``. The browser leg
  (server → WebSocket → chart) is not part of it: ``bench/eight_charts.mjs`` runs the same
  kernel code from 8 notebooks in one JupyterLab page;
- nothing lost: after every kernel's ``durable.flush``, the exact number of metric rows per
  run in PostgreSQL against what that kernel logged; and the drain time after the loops.

A benchmark: it measures and prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.kernel_driver import (
    TrackedKernel,
    finish,
    loop_arguments,
    loop_results,
    team_server,
    team_server_arguments,
)

START = """
import json, time, mlflow
from trackside.kernel.journal.durable import active
run = mlflow.start_run(run_name="kernel-{index}")
print(run.info.run_id)
"""

# Paced logging: each 10 ms tick logs rate/100 points, one mlflow.log_metric call each, at
# steps first, first + 1, …
LOOP = """
log_metric = mlflow.log_metric
per_tick = max(1, {rate} // 100)
first = {first}
t0 = time.monotonic(); logged = 0; tick = 0; late = 0
while time.monotonic() - t0 < {seconds}:
    for _ in range(per_tick):
        log_metric("x", logged * 0.5, step=first + logged, timestamp=int(time.time() * 1000))
        logged += 1
    tick += 1
    pause = t0 + tick * 0.01 - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    else:
        late += 1
t1 = time.monotonic()
_last_loop = {{"logged": logged, "loop_s": t1 - t0, "late_ticks": late, "ticks": tick}}
"""

FLUSH = """
t2 = time.monotonic()
acked = active().flush(3600)
print(json.dumps({"acked": acked, "drain_s": time.monotonic() - t2}))
"""


class CommListener(threading.Thread):
    """Takes every iopub message of one kernel; decodes "points" messages on arrival."""

    def __init__(self, kernel: TrackedKernel) -> None:
        super().__init__(daemon=True)
        self.kernel = kernel
        self.latencies_ms: list[float] = []
        self.points = 0
        self.messages = 0
        self.decimated = 0
        self.stop = threading.Event()

    def run(self) -> None:
        client = self.kernel.client
        while not self.stop.is_set():
            try:
                msg = client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            arrived_ms = time.time() * 1000
            if msg["msg_type"] != "comm_msg":
                continue
            data = msg["content"]["data"]
            if data.get("type") != "points" or not msg["buffers"]:
                continue
            table = pa.ipc.open_stream(pa.py_buffer(bytes(msg["buffers"][0]))).read_all()
            stamps = table.column("timestamp").to_pylist()
            self.messages += 1
            self.points += len(stamps)
            self.decimated += bool(data.get("decimated"))
            self.latencies_ms.extend(arrived_ms - t for t in stamps)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    loop_arguments(parser, rate=10_000, seconds=30.0)
    team_server_arguments(parser)
    args = parser.parse_args()
    results = loop_results(args)
    with team_server(args.workers, "trackside-8k-") as team:
        kernels = [TrackedKernel(team.url, team.root / "journal") for _ in range(args.kernels)]
        try:
            runs = [
                k.run(START.format(index=i)).strip().splitlines()[-1] for i, k in enumerate(kernels)
            ]
            listeners = [CommListener(k) for k in kernels]
            for listener in listeners:
                listener.start()
            ids = [
                k.client.execute(LOOP.format(rate=args.rate, seconds=args.seconds, first=0))
                for k in kernels
            ]
            for k, msg_id in zip(kernels, ids, strict=True):
                wait_reply(k, msg_id)
            time.sleep(1.0)  # the last coalesced messages
            for listener in listeners:
                listener.stop.set()
                listener.join()
            loops = [k.json("print(json.dumps(_last_loop))") for k in kernels]
            drains = [k.json(FLUSH) for k in kernels]
        finally:
            for k in kernels:
                k.stop()
        per_kernel = []
        for run_id, loop, drain, listener in zip(runs, loops, drains, listeners, strict=True):
            stored = team.metric_rows(run_id)
            per_kernel.append(
                {
                    "run_id": run_id,
                    **loop,
                    **drain,
                    "in_postgres": stored,
                    "exact": stored == loop["logged"],
                    "comm_messages": listener.messages,
                    "comm_points": listener.points,
                    "decimated_messages": listener.decimated,
                    "latency_p50_ms": percentile(listener.latencies_ms, 0.5),
                    "latency_p95_ms": percentile(listener.latencies_ms, 0.95),
                    "latency_max_ms": max(listener.latencies_ms, default=float("nan")),
                }
            )
            print(json.dumps(per_kernel[-1]), flush=True)
        every = [x for listener in listeners for x in listener.latencies_ms]
    results["per_kernel"] = per_kernel
    results["logged"] = sum(k["logged"] for k in per_kernel)
    results["in_postgres"] = sum(k["in_postgres"] for k in per_kernel)
    results["all_exact"] = all(k["exact"] for k in per_kernel)
    results["latency_all_p50_ms"] = percentile(every, 0.5)
    results["latency_all_p95_ms"] = percentile(every, 0.95)
    results["latency_all_max_ms"] = max(every, default=float("nan"))
    results["achieved_rate_median"] = statistics.median(
        k["logged"] / k["loop_s"] for k in per_kernel
    )
    results["drain_s_max"] = max(k["drain_s"] for k in per_kernel)
    print(
        f"{args.kernels} kernels x {args.rate}/s x {args.seconds:g} s:"
        f" logged {results['logged']:,}, in PostgreSQL {results['in_postgres']:,}"
        f" (exact per run: {results['all_exact']});"
        f" comm latency p50 {results['latency_all_p50_ms']:.0f} ms,"
        f" p95 {results['latency_all_p95_ms']:.0f} ms, max {results['latency_all_max_ms']:.0f} ms;"
        f" achieved {results['achieved_rate_median']:.0f} points/s per kernel (median);"
        f" drain after the loops ≤ {results['drain_s_max']:.1f} s"
    )
    finish(results, args.json)


def wait_reply(kernel: TrackedKernel, msg_id: str) -> None:
    """Wait for the cell's reply on the shell channel (the listener has iopub)."""
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        msg = kernel.client.get_shell_msg(timeout=deadline - time.monotonic())
        if msg["parent_header"].get("msg_id") == msg_id:
            if msg["content"]["status"] != "ok":
                raise RuntimeError(f"loop failed: {msg['content']}")
            return
    raise TimeoutError(msg_id)


if __name__ == "__main__":
    main()
