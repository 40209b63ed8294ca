"""The logged set and MLflow's stored history as multisets of points, compared NaN-aware."""

from __future__ import annotations

import math
import sys
import urllib.parse
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ..kernel_helpers import rest


class Point(NamedTuple):
    run_id: str
    key: str
    step: int
    timestamp_ms: int
    value: float


@dataclass(frozen=True)
class Comparison:
    logged: int
    in_mlflow: int
    lost: int  # logged points MLflow does not hold (counted with multiplicity)
    duplicated: int  # points MLflow holds more often than they were logged, or never logged

    @property
    def exact(self) -> bool:
        return self.lost == 0 and self.duplicated == 0


def history(url: str, run_id: str, key: str) -> list[Point]:
    """Every point MLflow stores for ``key`` of ``run_id``, read page by page over REST."""
    points: list[Point] = []
    token = ""
    while True:
        query: dict[str, str | int] = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            query["page_token"] = token
        path = "/api/2.0/mlflow/metrics/get-history?" + urllib.parse.urlencode(query)
        answer = rest(url, path)
        for metric in answer.get("metrics", []):
            points.append(
                Point(
                    run_id,
                    key,
                    int(metric.get("step", 0)),
                    int(metric["timestamp"]),
                    _float(metric["value"]),
                )
            )
        token = str(answer.get("next_page_token", ""))
        if not token:
            return points


def compare(logged: Iterable[Point], stored: Iterable[Point]) -> Comparison:
    """Multiset comparison where NaN equals NaN (MLflow stores NaN; NaN != NaN in Python)."""
    want = Counter(_identity(p) for p in logged)
    have = Counter(_identity(p) for p in stored)
    lost = sum((want - have).values())
    duplicated = sum((have - want).values())
    return Comparison(sum(want.values()), sum(have.values()), lost, duplicated)


def _identity(point: Point) -> Hashable:
    value: Hashable = "nan" if math.isnan(point.value) else float(point.value)
    if math.isinf(point.value):  # MLflow's SQL stores keep ±inf as ±float max
        value = math.copysign(sys.float_info.max, point.value)
    return (point.run_id, point.key, int(point.step), int(point.timestamp_ms), value)


def _float(value: object) -> float:
    # MLflow's JSON carries NaN and infinities as the strings "NaN", "Infinity", "-Infinity"
    if isinstance(value, str):
        return float(value.replace("Infinity", "inf"))
    return float(value)  # type: ignore[arg-type]


def stored_for(url: str, logged: Iterable[Point]) -> list[Point]:
    """MLflow's history of every (run, key) that occurs in ``logged``."""
    series = sorted({(p.run_id, p.key) for p in logged})
    return [point for run_id, key in series for point in history(url, run_id, key)]


def check(url: str, logged: Iterable[Point]) -> Comparison:
    """``compare`` the logged set with what MLflow holds for the same runs and keys."""
    logged = list(logged)
    return compare(logged, stored_for(url, logged))
