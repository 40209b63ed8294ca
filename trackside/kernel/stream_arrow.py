"""Arrow encoding and display decimation of metric points for the live stream.

Pure functions, no kernel state: :mod:`trackside.kernel.stream` calls them from its
sender thread (never from the logging thread), and tests call them directly.

Wire format: one self-contained Arrow IPC stream (schema, dictionaries, one record
batch) with the columns ``run_id`` and ``key`` as ``dictionary<int32, utf8>`` and
``step``, ``timestamp`` (ms) and ``value`` as ``float64``. No int64 (JavaScript would
get ``BigInt``), no compression, no dictionary deltas.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

#: Bytes per row on the wire: two int32 indices and three float64 columns.
ROW_BYTES = 4 + 4 + 8 + 8 + 8

_DICT = pa.dictionary(pa.int32(), pa.string())

SCHEMA = pa.schema(
    [
        pa.field("run_id", _DICT, nullable=False),
        pa.field("key", _DICT, nullable=False),
        pa.field("step", pa.float64(), nullable=False),
        pa.field("timestamp", pa.float64(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
    ]
)

_WRITE_OPTIONS = pa.ipc.IpcWriteOptions(compression=None, emit_dictionary_deltas=False)


class PointLike(Protocol):
    """What the stream reads from a tee point (``trackside.kernel.tee.MetricPoint``)."""

    run_id: str
    key: str
    value: float
    timestamp: int
    step: int


@dataclass
class Columns:
    """Points as columns: dictionary indices for the strings, float64 for the numbers."""

    runs: list[str]
    keys: list[str]
    run_index: np.ndarray  # int32
    key_index: np.ndarray  # int32
    step: np.ndarray  # float64
    timestamp: np.ndarray  # float64
    value: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.step)

    def take(self, rows: np.ndarray) -> Columns:
        return Columns(
            self.runs,
            self.keys,
            self.run_index[rows],
            self.key_index[rows],
            self.step[rows],
            self.timestamp[rows],
            self.value[rows],
        )

    def estimated_bytes(self) -> int:
        strings = sum(len(s) for s in self.runs) + sum(len(s) for s in self.keys)
        return len(self) * ROW_BYTES + strings + 8 * (len(self.runs) + len(self.keys)) + 1024


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
    codes = columns.run_index.astype(np.int64) * max(1, len(columns.keys)) + columns.key_index
    _, first = np.unique(codes, return_index=True)
    first.sort()
    return [(columns.runs[columns.run_index[i]], columns.keys[columns.key_index[i]]) for i in first]


def encode(columns: Columns) -> pa.Buffer:
    """One self-contained Arrow IPC stream: schema, dictionaries, one record batch."""
    runs = pa.array(columns.runs, type=pa.string())
    keys = pa.array(columns.keys, type=pa.string())
    batch = pa.record_batch(
        [
            pa.DictionaryArray.from_arrays(pa.array(columns.run_index, type=pa.int32()), runs),
            pa.DictionaryArray.from_arrays(pa.array(columns.key_index, type=pa.int32()), keys),
            pa.array(columns.step, type=pa.float64()),
            pa.array(columns.timestamp, type=pa.float64()),
            pa.array(columns.value, type=pa.float64()),
        ],
        schema=SCHEMA,
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA, options=_WRITE_OPTIONS) as writer:
        writer.write_batch(batch)
    return sink.getvalue()


def _bucket_rows(values: np.ndarray, start: int, stop: int, buckets: int) -> list[int]:
    """Rows kept from ``[start, stop)`` (sorted by step): first/last/min/max per bucket."""
    count = stop - start
    if count <= 4 or buckets * 4 >= count:
        return list(range(start, stop))
    edges = np.linspace(0, count, buckets + 1).astype(np.int64)
    kept: list[int] = []
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        lo, hi = start + int(a), start + int(b)
        rows = {lo, hi - 1}
        segment = values[lo:hi]
        finite = ~np.isnan(segment)
        if finite.any():
            masked_min = np.where(finite, segment, np.inf)
            masked_max = np.where(finite, segment, -np.inf)
            rows.add(lo + int(np.argmin(masked_min)))
            rows.add(lo + int(np.argmax(masked_max)))
        kept.extend(sorted(rows))
    return kept


def decimate(columns: Columns, max_rows: int) -> Columns:
    """Keep about ``max_rows`` rows: per series, the first, last, min and max point of
    each bucket of consecutive steps. Output is sorted by series, then step."""
    total = len(columns)
    if total <= max_rows:
        return columns
    codes = columns.run_index.astype(np.int64) * max(1, len(columns.keys)) + columns.key_index
    order = np.lexsort((columns.timestamp, columns.step, codes))
    sorted_codes = codes[order]
    values = columns.value[order]
    bounds = np.flatnonzero(np.diff(sorted_codes)) + 1
    starts = np.concatenate(([0], bounds))
    stops = np.concatenate((bounds, [total]))
    kept: list[int] = []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        share = max_rows * (stop - start) / total
        buckets = max(1, int(share // 4))
        kept.extend(_bucket_rows(values, start, stop, buckets))
    return columns.take(order[np.asarray(kept, dtype=np.int64)])
