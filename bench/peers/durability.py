"""Durability: ``kill -9`` of the logging kernel right after its 100,000th call returned.

Per tool, one fresh kernel: ``open_cell``, then one cell logs ``POINTS`` points
(``log(step, step * 0.5)``) and, the moment the last call returns, SIGKILLs its own process
(no ``atexit``, no flush, no ``finally``). After ``SETTLE`` s (helper processes such as
wandb-core see their parent gone), the tool's documented recovery runs (``Tool.recover``:
Trackside's ``trackside sync`` replays the dead kernel's journal; W&B: what ``wandb sync``
would upload is read from the offline run's .wandb log; the others: their store as left on
disk, or what reached the MLflow server), then the points are read from the tool's own store.
``recovered`` counts the distinct steps read back with the right value.

MLflow sync (one REST call per point, ~14 ms) logs ``SYNC_POINTS`` and the table says so.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .results import reported, selected, unavailable, write
from .tools import Tool, backends, kernel_for, value_of

POINTS = 100_000
SYNC_POINTS = 1_000
QUICK_POINTS = 5_000
QUICK_SYNC_POINTS = 100
SETTLE = 5.0

LOOP_THEN_KILL = """
import os as _os, signal as _signal
for _step in range({points}):
    log(_step, _step * 0.5)
_os.kill(_os.getpid(), _signal.SIGKILL)
"""


def measure(tool: Tool, root: Path, points: int) -> dict[str, Any]:
    store = root / "durability" / tool.key
    run_name = f"durability-{tool.key}"
    kernel = kernel_for(tool, store)
    try:
        kernel.run(tool.open_cell(store, run_name))
        kernel.start(LOOP_THEN_KILL.format(points=points))
        deadline = time.monotonic() + 3600
        while kernel.manager.is_alive():
            if time.monotonic() > deadline:
                raise TimeoutError("the logging cell did not end")
            time.sleep(0.2)
        code = kernel.manager.provisioner.process.poll()  # type: ignore[union-attr]
    finally:
        kernel.shutdown()
    if code not in (-9, 137):
        raise RuntimeError(f"the kernel ended with {code}, not by SIGKILL")
    time.sleep(SETTLE)
    recovery = tool.recover(store, run_name)
    stored = tool.read_points(store, run_name)
    recovered = len(
        {step for step, value in stored if 0 <= step < points and value == value_of(step)}
    )
    return {
        "status": "ok",
        "logged": points,
        "recovered": recovered,
        "how": f"kill -9 right after call {points:,}; {recovery}",
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    with backends() as backend:
        for tool in selected(args):
            missing = unavailable(tool)
            if missing:
                results[tool.key] = missing
                continue
            if tool.key == "mlflow_sync":
                points = QUICK_SYNC_POINTS if args.quick else SYNC_POINTS
            else:
                points = QUICK_POINTS if args.quick else POINTS
            with reported(results, tool):
                results[tool.key] = measure(tool, backend.root, points)
                print(f"durability {tool.key}: {results[tool.key]}", flush=True)
    return write("durability", results)
