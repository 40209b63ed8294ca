"""The one wire format of metric points: the Arrow schema and the bucket decimation.

Both producers use this module: the kernel's live stream (:mod:`trackside.kernel.live`)
and the server's metric history (:mod:`trackside.server.history`). The frontend
holds the same format in ``src/wire/`` (``schema.ts``, ``decode.ts``, and
``buckets.ts``, whose rule :func:`bucket_indices` reproduces exactly:
``src/__tests__/wire.spec.ts`` compares the two on the same input).

Wire format: one self-contained Arrow IPC stream (schema, dictionaries, one record
batch) with the columns ``run_id`` and ``key`` as ``dictionary<int32, utf8>`` and
``step``, ``timestamp`` (ms) and ``value`` as ``float64``, none of them nullable (a
missing number is NaN). No int64 (JavaScript would get ``BigInt``), no compression,
no dictionary deltas.

Decimation rule (``BucketDecimator`` in ``buckets.ts``): a series of at most
``max_points`` points is kept whole. Otherwise the step axis is cut into buckets of
width ``2**level`` on an absolute grid (bucket ``i`` holds
``i * 2**level <= step < (i + 1) * 2**level``), ``level`` being the smallest (from
:data:`MIN_LEVEL`) for which the occupied buckets span at most ``max_points // 4``
buckets. A bucket of at most four points keeps them all; a larger one keeps its
first and last point (by step, then arrival) and its minimum and maximum value (NaN
never counts; among equal values the earliest position wins), so spikes survive.
Points with a non-finite step are dropped; the output is in step order.

Run ``python -m trackside.wire`` with ``{"x": [...], "y": [...], "max_points": n}`` on
stdin (non-finite numbers as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``) to
get the kept indices as JSON: the cross-language test.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

#: Bytes per row on the wire: two int32 indices and three float64 columns.
ROW_BYTES = 4 + 4 + 8 + 8 + 8

#: The finest bucket width is ``2**MIN_LEVEL`` steps (as in ``src/wire/buckets.ts``).
MIN_LEVEL = -20

#: A bucket keeps all of its points up to this many.
RAW_PER_BUCKET = 4

_DICT = pa.dictionary(pa.int32(), pa.utf8())

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

    def series_codes(self) -> np.ndarray:
        """One int64 per row, equal for rows of the same ``(run_id, key)``."""
        return self.run_index.astype(np.int64) * max(1, len(self.keys)) + self.key_index

    def estimated_bytes(self) -> int:
        strings = sum(len(s) for s in self.runs) + sum(len(s) for s in self.keys)
        return len(self) * ROW_BYTES + strings + 8 * (len(self.runs) + len(self.keys)) + 1024


def columns_of_series(
    series: Mapping[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> Columns:
    """Columns for whole series ``{(run_id, key): (step, timestamp, value)}``, one after
    another, with sorted dictionaries."""
    runs = sorted({run for run, _ in series})
    keys = sorted({key for _, key in series})
    run_of = {run: i for i, run in enumerate(runs)}
    key_of = {key: i for i, key in enumerate(keys)}
    lengths = [len(arrays[0]) for arrays in series.values()]

    def codes(index: list[int]) -> np.ndarray:
        return np.repeat(np.asarray(index, dtype=np.int32), lengths).astype(np.int32)

    def column(position: int) -> np.ndarray:
        arrays = [np.asarray(a[position], dtype=np.float64) for a in series.values()]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.float64)

    return Columns(
        runs,
        keys,
        codes([run_of[run] for run, _ in series]),
        codes([key_of[key] for _, key in series]),
        column(0),
        column(1),
        column(2),
    )


def encode(columns: Columns) -> pa.Buffer:
    """One self-contained Arrow IPC stream: schema, dictionaries, one record batch."""
    batch = pa.record_batch(
        [
            pa.DictionaryArray.from_arrays(
                pa.array(columns.run_index, type=pa.int32()), pa.array(columns.runs, pa.utf8())
            ),
            pa.DictionaryArray.from_arrays(
                pa.array(columns.key_index, type=pa.int32()), pa.array(columns.keys, pa.utf8())
            ),
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


def _level(low: float, high: float, buckets: int) -> int:
    """The smallest level from MIN_LEVEL whose grid spans ``[low, high]`` in at most
    ``buckets`` buckets."""
    level = MIN_LEVEL
    if high > low:
        # The span at level L exceeds (high - low) / 2**L: skip the levels that
        # cannot fit, then step up to the first that does.
        level = max(level, int(np.floor(np.log2((high - low) / buckets))) - 1)
    while np.floor(high / 2.0**level) - np.floor(low / 2.0**level) + 1 > buckets:
        level += 1
    return level


def bucket_indices(x: np.ndarray, y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of the points kept by the decimation rule (module docstring), in
    step order: ``x`` is the step, ``y`` the value."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(x))
    if len(finite) and not np.all(np.diff(x[finite]) >= 0):
        finite = finite[np.argsort(x[finite], kind="stable")]
    if len(finite) <= max_points:
        return finite
    xs, ys = x[finite], y[finite]
    level = _level(float(xs[0]), float(xs[-1]), max(1, max_points // RAW_PER_BUCKET))
    bucket = np.floor(xs / 2.0**level)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(bucket)) + 1))
    stops = np.concatenate((starts[1:], [len(xs)]))
    lows_src = np.where(np.isnan(ys), np.inf, ys)
    highs_src = np.where(np.isnan(ys), -np.inf, ys)
    lows = np.minimum.reduceat(lows_src, starts)
    highs = np.maximum.reduceat(highs_src, starts)
    counts = stops - starts
    which = np.repeat(np.arange(len(starts)), counts)
    valid = ~np.isnan(ys)
    keep = np.zeros(len(xs), dtype=bool)
    keep[starts] = True
    keep[stops - 1] = True
    keep[np.repeat(counts <= RAW_PER_BUCKET, counts)] = True
    for extreme, source in ((lows, lows_src), (highs, highs_src)):
        hits = np.flatnonzero((source == extreme[which]) & valid)
        _, first = np.unique(which[hits], return_index=True)
        keep[hits[first]] = True
    return finite[keep]


def decimate(columns: Columns, max_rows: int) -> Columns:
    """Keep about ``max_rows`` rows, each series decimated with its share of them.
    Output is sorted by series, then step."""
    total = len(columns)
    if total <= max_rows:
        return columns
    codes = columns.series_codes()
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    bounds = np.flatnonzero(np.diff(sorted_codes)) + 1
    kept: list[np.ndarray] = []
    for rows in np.split(order, bounds):
        share = max(1, int(max_rows * len(rows) / total))
        kept.append(rows[bucket_indices(columns.step[rows], columns.value[rows], share)])
    return columns.take(np.concatenate(kept))


def main() -> None:
    """Read ``{"x", "y", "max_points"}`` as JSON on stdin, write the kept indices."""
    request = json.load(sys.stdin)

    def floats(values: list[float | str]) -> np.ndarray:
        # float() reads the strings "NaN", "Infinity" and "-Infinity" too.
        return np.array([float(v) for v in values], dtype=np.float64)

    kept = bucket_indices(floats(request["x"]), floats(request["y"]), int(request["max_points"]))
    json.dump({"indices": kept.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
