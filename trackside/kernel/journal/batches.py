"""``log-batch`` requests within MLflow's limits, planned from journal entries.

At most 1000 metrics, 100 params, 100 tags, 1000 entities and ~1 MB of JSON per request, one
run each; entries keep their journal order per run and a run update (``set_terminated``,
``update_run``) goes after the run's earlier entries.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .records import Entry, Metric, Param, RunUpdate, Tag

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ENTITIES = 1000
MAX_BODY = 900_000  # below MLflow's 1 MB request limit, with room for the envelope


@dataclass
class Batch:
    """One ``log-batch`` request for one run."""

    run_id: str
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    size: int = 0

    def count(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)

    def body(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "metrics": [_metric_json(m) for m in self.metrics],
            "params": [{"key": p.key, "value": p.value} for p in self.params],
            "tags": [{"key": t.key, "value": t.value} for t in self.tags],
        }


Request = Batch | RunUpdate


def _number(value: float) -> float | str:
    # Proto JSON for doubles: NaN and infinities are strings, the rest plain numbers
    # (Python's repr round-trips exactly).
    if math.isfinite(value):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _metric_json(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": _number(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if m.model_id is not None:
        out["model_id"] = m.model_id
    if m.dataset_name is not None:
        out["dataset_name"] = m.dataset_name
        out["dataset_digest"] = m.dataset_digest
    return out


def _json_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode())


#: A run logs a few metric keys many times: their size is worked out once (half of ``plan``'s
#: time per point before).
_key_size = lru_cache(maxsize=1024)(_json_size)


def plan(entries: Sequence[Entry]) -> list[Request]:
    """Split entries (journal order) into requests within MLflow's limits, order kept per run."""
    out: list[Request] = []
    pending: dict[str, Batch] = {}

    def emit(run_id: str) -> Batch:
        batch = pending.pop(run_id, None)
        if batch is not None and batch.count():
            out.append(batch)
        fresh = Batch(run_id)
        pending[run_id] = fresh
        return fresh

    for entry in entries:
        run_id = entry.run_id
        batch = pending.get(run_id) or emit(run_id)
        kind = type(entry)
        if kind is Metric:
            size = _key_size(entry.key) + 90 + (len(entry.model_id or "") + 20) * 3
            if (
                len(batch.metrics) >= MAX_METRICS
                or batch.count() >= MAX_ENTITIES
                or batch.size + size > MAX_BODY
            ):
                batch = emit(run_id)
            batch.metrics.append(entry)
        elif kind is Param:
            size = _json_size(entry.key) + _json_size(entry.value) + 20
            same = [p for p in batch.params if p.key == entry.key]
            if same and same[0].value == entry.value:
                continue  # MLflow accepts a repeat; one request must not hold a key twice
            if (
                same
                or len(batch.params) >= MAX_PARAMS
                or batch.count() >= MAX_ENTITIES
                or batch.size + size > MAX_BODY
            ):
                batch = emit(run_id)
            batch.params.append(entry)
        elif kind is Tag:
            size = _json_size(entry.key) + _json_size(entry.value) + 20
            if (
                any(t.key == entry.key for t in batch.tags)  # keep "last one wins"
                or len(batch.tags) >= MAX_TAGS
                or batch.count() >= MAX_ENTITIES
                or batch.size + size > MAX_BODY
            ):
                batch = emit(run_id)
            batch.tags.append(entry)
        else:  # RunUpdate: after everything logged before it for that run
            emit(run_id)
            out.append(entry)
            continue
        batch.size += size
    for run_id in list(pending):
        batch = pending.pop(run_id)
        if batch.count():
            out.append(batch)
    return out


def split_rejected(request: Request) -> list[Batch]:
    """Smaller requests to isolate the entry MLflow rejected (params are the usual cause)."""
    if not isinstance(request, Batch) or not request.params:
        return []
    if request.metrics or request.tags:
        return [
            Batch(request.run_id, metrics=request.metrics, tags=request.tags),
            Batch(request.run_id, params=request.params),
        ]
    if len(request.params) > 1:
        return [Batch(request.run_id, params=[p]) for p in request.params]
    return []
