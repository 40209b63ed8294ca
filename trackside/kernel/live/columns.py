"""Tee points as wire columns (:mod:`trackside.wire` holds the schema, the encoding
and the decimation).

Pure functions, no kernel state: :mod:`trackside.kernel.live.comm_stream` calls them from its
sender thread (never from the logging thread), and tests call them directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ...wire import Columns
from .feed import PointLike


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def to_columns(chunks: Iterable[Sequence[PointLike]]) -> Columns:
    """Turn chunks of points into columns, dictionary-encoding run ids and keys."""
    runs: dict[str, int] = {}
    keys: dict[str, int] = {}
    run_index: list[int] = []
    key_index: list[int] = []
    steps: list[float] = []
    timestamps: list[float] = []
    values: list[float] = []
    for chunk in chunks:
        for point in chunk:
            run, key = str(point.run_id), str(point.key)
            r = runs.get(run)
            if r is None:
                r = runs[run] = len(runs)
            k = keys.get(key)
            if k is None:
                k = keys[key] = len(keys)
            run_index.append(r)
            key_index.append(k)
            steps.append(_float(point.step))
            timestamps.append(_float(point.timestamp))
            values.append(_float(point.value))
    return Columns(
        list(runs),
        list(keys),
        np.asarray(run_index, dtype=np.int32),
        np.asarray(key_index, dtype=np.int32),
        np.asarray(steps, dtype=np.float64),
        np.asarray(timestamps, dtype=np.float64),
        np.asarray(values, dtype=np.float64),
    )


def series_of(columns: Columns) -> list[tuple[str, str]]:
    """The distinct ``(run_id, key)`` pairs present in ``columns``, in first-seen order."""
    if not len(columns):
        return []
    codes = columns.series_codes()
    _, first = np.unique(codes, return_index=True)
    first.sort()
    return [(columns.runs[columns.run_index[i]], columns.keys[columns.key_index[i]]) for i in first]
