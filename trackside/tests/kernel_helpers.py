"""Helpers for the kernel-side tests (durable logging, metric feed, replay)."""

from __future__ import annotations

import json
import math
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def rest(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One plain REST call to MLflow (no retries, no MLflow client, no hook)."""
    if body is None:
        request = urllib.request.Request(url + path)
    else:
        request = urllib.request.Request(
            url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read() or b"{}"))


def create_run(url: str, experiment_id: str = "0") -> str:
    answer = rest(url, "/api/2.0/mlflow/runs/create", {"experiment_id": experiment_id})
    return str(answer["run"]["info"]["run_id"])


def get_run(url: str, run_id: str) -> dict[str, Any]:
    query = urllib.parse.urlencode({"run_id": run_id})
    return dict(rest(url, f"/api/2.0/mlflow/runs/get?{query}")["run"])


def history(url: str, run_id: str, key: str) -> list[tuple[int, int, float]]:
    """Every stored point of a metric as (step, timestamp, value), sorted."""
    points: list[tuple[int, int, float]] = []
    token = ""
    while True:
        query = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            query["page_token"] = token
        answer = rest(url, "/api/2.0/mlflow/metrics/get-history?" + urllib.parse.urlencode(query))
        for m in answer.get("metrics", []):
            points.append((int(m.get("step", 0)), int(m["timestamp"]), _float(m["value"])))
        token = answer.get("next_page_token", "")
        if not token:
            return sorted(points, key=lambda p: (p[0], p[1], repr(p[2])))


def _float(value: Any) -> float:
    return float(value) if not isinstance(value, str) else float(value.replace("Infinity", "inf"))


def same_values(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def wait_until(check: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
