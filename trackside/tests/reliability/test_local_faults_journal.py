"""A10: an orphaned journal cut short or with a flipped byte, replayed into MLflow.

The byte-level rules (torn tail ignored, CRC checked) are in ``tests/test_journal.py``; here a
dead kernel's journal is damaged on disk and replayed as ``%load_ext trackside`` or
``trackside sync`` would: every intact record reaches MLflow, the damaged one is named by its
sequence number in the replay report, nothing raises.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from trackside.kernel.journal.records import (
    FRAME,
    SEGMENT_HEADER,
    JournalWriter,
    Metric,
    encode,
    segment_name,
)
from trackside.kernel.journal.replay import replay_orphans

from .points import Point, history
from .test_inputs_keys import record_points

POINTS = 200


def dead_kernel_journal(journal_dir: Path, url: str, run_id: str) -> tuple[Path, list[Point]]:
    """A kernel journal as a SIGKILLed kernel leaves it: owner.json, one segment, no ack."""
    kernel_journal = journal_dir / "20260101T000000-999999-deadbeef"
    kernel_journal.mkdir(parents=True)
    owner = {"pid": 999_999, "host": os.uname().nodename, "tracking_uri": url, "format": 1}
    (kernel_journal / "owner.json").write_text(json.dumps(owner))
    points = [Point(run_id, "x", i, 1_000_000 + i, i / 4) for i in range(POINTS)]
    writer = JournalWriter(kernel_journal)
    for p in points:
        writer.append([Metric(run_id, p.key, p.value, p.timestamp_ms, p.step)])
    writer.close()
    return kernel_journal, points


def record_offset(points: list[Point], index: int) -> int:
    """Byte offset of record ``index`` (seq ``index + 1``) in the first segment."""
    sizes = [
        len(encode(i + 1, Metric(p.run_id, p.key, p.value, p.timestamp_ms, p.step)))
        for i, p in enumerate(points)
    ]
    return SEGMENT_HEADER.size + sum(sizes[:index])


def replay(url: str, journal_dir: Path) -> Any:
    report = replay_orphans(tracking_uri=url, journal_dir=journal_dir, timeout=60)
    assert report.journals, report.summary()
    return report


@pytest.mark.reliability("A10")
@pytest.mark.parametrize("damage", ["flipped_byte", "flipped_length", "cut_short"])
def test_damaged_journal_replays_every_intact_record_and_names_the_damaged_one(
    tracking_backend: Any, tmp_path: Path, figures: Any, damage: str
) -> None:
    url = tracking_backend.url
    run_id = MlflowClient(url).create_run("0").info.run_id
    journal_dir = tmp_path / "journal"
    kernel_journal, points = dead_kernel_journal(journal_dir, url, run_id)
    segment = kernel_journal / segment_name(1)
    data = bytearray(segment.read_bytes())
    if damage == "cut_short":  # the kernel died inside the write of its last record
        damaged = POINTS - 1
        data = data[: record_offset(points, damaged) + FRAME.size + 5]
    elif damage == "flipped_byte":  # a bit rot in the middle of a record's body
        damaged = POINTS // 2
        data[record_offset(points, damaged) + FRAME.size + 12] ^= 0x01
    else:  # the record's length field itself: the reader must find the next record
        damaged = POINTS // 3
        data[record_offset(points, damaged) + 1] ^= 0x40
    segment.write_bytes(bytes(data))

    report = replay(url, journal_dir)
    summary = report.summary()
    (journal,) = report.journals
    assert journal.error is None, summary
    assert journal.sent == POINTS - 1, summary
    assert journal.damaged == [damaged + 1], summary  # sequence numbers start at 1
    assert f"damaged record {damaged + 1}" in summary, summary
    figures.note(f"{damage}: {summary.splitlines()[-1].strip()}")

    intact = points[:damaged] + points[damaged + 1 :]
    assert record_points(figures, url, intact) == (0, 0)
    assert all(p != points[damaged] for p in history(url, run_id, "x"))
    # replayed once: nothing is left to send again
    assert replay_orphans(tracking_uri=url, journal_dir=journal_dir).journals == []
