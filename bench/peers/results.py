"""What every measure shares: the machine line, the tool selection, the result file."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .tools import REPO, TOOLS, Tool


def results_dir() -> Path:
    """``.bench/peers``, or ``$BENCH_PEERS_RESULTS`` (the harness's own test uses a temp dir)."""
    return Path(os.environ.get("BENCH_PEERS_RESULTS") or REPO / ".bench" / "peers")


def machine() -> str:
    """One line: CPU, cores, memory, Python, load (1 min) right now."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " " + line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB"
    except Exception:
        memory = ""
    return (
        f"{platform.machine()}{model}, {os.cpu_count()} cores{memory},"
        f" Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )


def selected(args: argparse.Namespace) -> list[Tool]:
    names = args.tools.split(",") if getattr(args, "tools", None) else list(TOOLS)
    unknown = [n for n in names if n not in TOOLS]
    if unknown:
        raise SystemExit(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(TOOLS)}")
    return [TOOLS[n] for n in names]


def unavailable(tool: Tool) -> dict[str, Any] | None:
    """The ``missing`` entry of a tool that cannot be imported, else None."""
    reason = tool.missing()
    return None if reason is None else {"status": "missing", "reason": reason}


@contextmanager
def reported(results: dict[str, dict[str, Any]], tool: Tool) -> Iterator[None]:
    """A tool that fails is reported ``failed`` with the error; the others go on."""
    try:
        yield
    except Exception as error:
        traceback.print_exc()
        results[tool.key] = {"status": "failed", "reason": f"{type(error).__name__}: {error}"[:600]}


def write(measure: str, tools: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Write ``.bench/peers/<measure>.json``; tools measured before and not now are kept."""
    path = results_dir() / f"{measure}.json"
    kept: dict[str, Any] = {}
    if path.exists():
        try:
            kept = json.loads(path.read_text()).get("tools", {})
        except ValueError:
            kept = {}
    report = {
        "measure": measure,
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        **extra,
        "tools": {**kept, **tools},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


Measure = Callable[[argparse.Namespace], dict[str, Any]]
