"""What the reliability kernels log, importable both in the kernel and in the test.

A series is deterministic (value and timestamp follow from the step), so the test knows the
logged set without shipping it back from the kernel. Every 97th value is NaN: a retried
request must not double NaN rows either.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from .points import Point

T0_MS = 1_700_000_000_000


def value_of(step: int) -> float:
    return math.nan if step % 97 == 13 else step * 0.25


def expected(run_id: str, key: str, steps: range) -> list[Point]:
    return [Point(run_id, key, i, T0_MS + i, value_of(i)) for i in steps]


def log_series(
    run_id: str, key: str, steps: range, pause_every: int = 0, pause_s: float = 0.0
) -> str:
    """Log ``steps`` with MLflow's client (hooked by durable logging); JSON timing figures."""
    from mlflow import MlflowClient

    client = MlflowClient()
    took: list[float] = []
    started = time.monotonic()
    for n, i in enumerate(steps):
        t = time.perf_counter()
        client.log_metric(run_id, key, value_of(i), timestamp=T0_MS + i, step=i)
        took.append(time.perf_counter() - t)
        if pause_every and n % pause_every == pause_every - 1:
            time.sleep(pause_s)
    took.sort()
    figures: dict[str, Any] = {
        "count": len(took),
        "p99_ms": took[int(len(took) * 0.99) - 1] * 1000 if took else 0.0,
        "max_ms": took[-1] * 1000 if took else 0.0,
        "seconds": time.monotonic() - started,
    }
    return json.dumps(figures)
