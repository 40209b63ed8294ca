"""The one wire format: the Arrow schema and the bucket decimation, in process.

``src/__tests__/wire.spec.ts`` checks that :func:`trackside.wire.bucket_indices` keeps
exactly the points the frontend's decimator keeps; these tests check the rule itself.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa

from trackside import wire


def test_downsampling_is_exact_up_to_max_points():
    values = np.arange(10.0)
    assert wire.bucket_indices(np.arange(10.0), values, 10).tolist() == list(range(10))


def test_downsampling_keeps_first_last_min_max_of_every_bucket():
    rng = np.random.default_rng(7)
    values = rng.normal(size=10_000)
    keep = wire.bucket_indices(np.arange(10_000.0), values, 400)
    assert len(keep) <= 400
    # 100 buckets at most: 10,000 steps need buckets of 128 steps (79 of them).
    edges = [*range(0, 10_000, 128), 10_000]
    for start, end in itertools.pairwise(edges):
        bucket = set(keep[(keep >= start) & (keep < end)].tolist())
        expected = {
            start,
            end - 1,
            start + int(np.argmin(values[start:end])),
            start + int(np.argmax(values[start:end])),
        }
        assert expected == bucket


def test_downsampling_tolerates_nan():
    values = np.array([np.nan] * 50 + list(range(50)), dtype=float)
    keep = wire.bucket_indices(np.arange(100.0), values, 8)
    assert 0 in keep and 99 in keep and 50 in keep


def test_buckets_lie_on_the_step_grid_not_on_point_counts():
    # Dense steps then sparse ones: buckets cut by step, so the dense part is thinned
    # and the sparse points (one per bucket) are all kept.
    steps = np.concatenate((np.arange(0.0, 1000.0), np.arange(1000.0, 65_536.0, 1024.0)))
    values = np.sin(steps)
    keep = wire.bucket_indices(steps, values, 256)  # 64 buckets of 1,024 steps
    # Bucket 0 holds steps 0..1000 (first, last = 1000, min, max); each other one point.
    assert steps[keep][-64:].tolist() == steps[1000:].tolist()
    assert len(keep) == 4 + 63


def test_decimate_keeps_first_last_min_max_of_every_bucket_per_series():
    rng = np.random.default_rng(7)
    values = rng.normal(size=4000)
    columns = wire.columns_of_series({("r", "k"): (np.arange(4000.0), np.arange(4000.0), values)})
    kept = wire.decimate(columns, 400)  # at most 100 buckets: 63 of 64 steps
    steps = kept.step.astype(int).tolist()
    assert steps == sorted(steps)
    for a, b in itertools.pairwise([*range(0, 4000, 64), 4000]):
        bucket = values[a:b]
        expected = {a, b - 1, a + int(np.argmin(bucket)), a + int(np.argmax(bucket))}
        assert {s for s in steps if a <= s < b} == expected
    assert kept.value.tolist() == [values[s] for s in steps]


def test_decimate_shares_the_budget_between_series_by_size():
    columns = wire.columns_of_series(
        {
            ("r", "big"): (np.arange(9000.0), np.zeros(9000), np.sin(np.arange(9000.0))),
            ("r", "small"): (np.arange(3.0), np.zeros(3), np.ones(3)),
        }
    )
    kept = wire.decimate(columns, 400)
    assert len(kept) <= 400
    small = kept.key_index == columns.keys.index("small")
    assert kept.step[small].tolist() == [0.0, 1.0, 2.0]


def test_encode_writes_the_one_schema_in_a_single_batch():
    columns = wire.columns_of_series({("r", "k"): ([3.0], [2.0], [np.nan])})
    table = pa.ipc.open_stream(wire.encode(columns)).read_all()
    assert table.schema.equals(wire.SCHEMA)
    assert not any(field.nullable for field in wire.SCHEMA)
    assert table.to_pylist()[0]["step"] == 3.0
