"""Per-call cost of logging one scalar from a notebook-style loop, in a real kernel per tool.

Each tool gets its own kernel (kept alive for the whole measure) and runs its ``open_cell``.
Then ``rounds`` rounds: in each, every tool in turn logs ``calls`` points, one ``log(step,
value)`` call each, timed inside the kernel with ``time.perf_counter_ns`` around the call, so
machine noise (2 shared cores here) hits every tool alike. Median and p99 over all calls.
``log`` is the tool's one logging call wrapped in a Python function (``tools.py``); the wrapper
costs every tool the same few tens of nanoseconds.

MLflow sync makes one REST call per point (~14 ms on a quiet machine): it gets ``SYNC_CALLS``
calls in all, spread over the same rounds, and the table says so. MLflow async logs to a server
of its own here (``_async_kernel``).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from .results import reported, selected, unavailable, write
from .tools import PeerKernel, Tool, backends, kernel_for

ROUNDS = 10
CALLS = 10_000  # per round: 100,000 per tool
SYNC_CALLS = 1_000  # in all, for mlflow_sync
QUICK_ROUNDS = 3
QUICK_CALLS = 2_000
QUICK_SYNC_CALLS = 60

TIMER = """
import time as _time, array as _array, json as _json
_clock = _time.perf_counter_ns
_times = _array.array("q")
_next_step = 0

def _timed_round(n: int) -> None:
    global _next_step
    times, clock, first = _times, _clock, _next_step
    for step in range(first, first + n):
        value = step * 0.5
        t0 = clock()
        log(step, value)
        times.append(clock() - t0)
    _next_step = first + n

def _summary() -> str:
    ordered = sorted(_times)
    n = len(ordered)
    return _json.dumps({"calls": n, "median_ns": ordered[n // 2],
                        "p99_ns": ordered[min(n - 1, int(n * 0.99))],
                        "mean_ns": sum(ordered) / n, "max_ns": ordered[-1]})
"""


def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    calls = QUICK_CALLS if args.quick else CALLS
    sync_calls = QUICK_SYNC_CALLS if args.quick else SYNC_CALLS
    results: dict[str, dict[str, Any]] = {}
    kernels: dict[str, PeerKernel] = {}
    with backends() as backend, contextlib.ExitStack() as stack:
        tools = []
        for tool in selected(args):
            missing = unavailable(tool)
            if missing:
                results[tool.key] = missing
                continue
            with reported(results, tool):
                store = backend.root / "per_call" / tool.key
                if tool.key == "mlflow_async":
                    kernel = _async_kernel(tool, store, stack)
                else:
                    kernel = kernel_for(tool, store)
                stack.callback(kernel.shutdown)
                kernel.run(tool.open_cell(store, f"per_call-{tool.key}"))
                kernel.run(TIMER)
                kernels[tool.key] = kernel
                tools.append(tool)
        for number in range(rounds):
            for tool in tools:
                if tool.key in results:
                    continue  # failed in an earlier round
                n = sync_calls // rounds if tool.key == "mlflow_sync" else calls
                with reported(results, tool):
                    started = time.monotonic()
                    kernels[tool.key].run(f"_timed_round({n})")
                    print(
                        f"per_call round {number + 1}/{rounds} {tool.key}: {n:,} calls"
                        f" in {time.monotonic() - started:.1f} s",
                        flush=True,
                    )
        for tool in tools:
            if tool.key in results:
                continue
            with reported(results, tool):
                # No close_cell: what a tool still has to send after the calls is not per-call
                # cost (end_to_end measures it); the kernel is shut down with it pending.
                summary = kernels[tool.key].json("print(_summary())")
                results[tool.key] = {
                    "status": "ok",
                    "median_us": summary["median_ns"] / 1000,
                    "p99_us": summary["p99_ns"] / 1000,
                    "mean_us": summary["mean_ns"] / 1000,
                    "max_us": summary["max_ns"] / 1000,
                    "calls": summary["calls"],
                    "rounds": rounds,
                    "how": how(tool.key, summary["calls"], rounds),
                }
    return write("per_call", results)


def how(key: str, calls: int, rounds: int) -> str:
    base = f"{calls:,} calls in {rounds} interleaved rounds, timed in the kernel"
    if key == "mlflow_sync":
        return base + " (fewer calls: one REST call each)"
    if key == "trackside":
        return base + " (tracked kernel, live comm drained as the server would)"
    return base


def _async_kernel(tool: Tool, store: Path, stack: contextlib.ExitStack) -> PeerKernel:
    """MLflow async's kernel, on an ``mlflow server`` of its own.

    Its queue sends about one point per request and drains far slower than a tight loop logs:
    on the server MLflow sync uses, that backlog made each sync call ~30x slower.
    """
    from trackside.tests.servers import mlflow_server

    server = stack.enter_context(mlflow_server(store / "server"))
    env = tool.kernel_env(store)
    env.update(MLFLOW_TRACKING_URI=server.url, MLFLOW_REGISTRY_URI=server.url)
    store.mkdir(parents=True, exist_ok=True)
    return PeerKernel(tool.python, env, store, f"peer-{tool.key}")
