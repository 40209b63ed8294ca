"""Journal format: records, CRC, torn tails, segments, acks, locks."""

from __future__ import annotations

import errno
import math
import os
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from trackside.kernel.journal import records as journal
from trackside.kernel.journal.records import (
    FRAME,
    METRIC_BODY,
    SEGMENT_HEADER,
    AckFile,
    JournalReader,
    JournalWriteError,
    JournalWriter,
    Metric,
    Param,
    RunUpdate,
    Tag,
    iter_records,
    read_ack,
    segment_name,
    try_lock,
    unlock,
)


@pytest.fixture(autouse=True)
def _mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Map segments wherever this test folder lives, so the mapped path is what is tested (a
    test of the other path empties the set again)."""
    kind = journal.file_system_type(tmp_path)
    assert kind, "no file system type for the test folder in /proc/self/mountinfo"
    monkeypatch.setattr(journal, "MAPPED_FILE_SYSTEMS", frozenset({kind}))


ENTRIES = [
    Metric("r1", "loss", 0.5, 1_700_000_000_000, 3),
    Metric("r1", "nan", math.nan, 1, -1),
    Metric("r1", "inf", -math.inf, 2, 2**62),
    Metric("r1", "m", 1.0, 3, 0, model_id="mod-1"),
    Param("r1", "lr", "0.01"),
    Tag("r1", "note", "ünïcode ✓"),
    RunUpdate("r1", "FINISHED", 1234, None),
    RunUpdate("r1", None, None, "renamed"),
]


def _same(a: journal.Entry, b: journal.Entry) -> bool:
    if type(a) is Metric and type(b) is Metric and math.isnan(a.value):
        return math.isnan(b.value) and a._replace(value=0) == b._replace(value=0)
    return a == b


def test_round_trip_every_kind(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    assert writer.append(ENTRIES[:3]) == 3
    for entry in ENTRIES[3:]:
        writer.append([entry])
    records = list(iter_records(tmp_path))
    assert [seq for seq, _ in records] == list(range(1, len(ENTRIES) + 1))
    assert all(_same(a, b) for a, (_, b) in zip(ENTRIES, records, strict=True))


def test_exact_metric_record_layout(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    writer.append([Metric("run", "k", 2.5, 10, 7)])
    live = (tmp_path / segment_name(1)).read_bytes()
    writer.close()
    data = (tmp_path / segment_name(1)).read_bytes()
    # while the writer has the segment, zeros (space allocated ahead) follow the record; closing
    # cuts them
    assert len(live) > len(data) and live.startswith(data) and not live[len(data) :].strip(b"\0")
    magic, first_seq = SEGMENT_HEADER.unpack_from(data)
    assert (magic, first_seq) == (b"TSJOURN1", 1)
    length, crc = FRAME.unpack_from(data, SEGMENT_HEADER.size)
    body = data[SEGMENT_HEADER.size + FRAME.size :]
    assert len(body) == length and zlib.crc32(body) == crc
    assert METRIC_BODY.unpack_from(body) == (1, ord("M"), 2.5, 10, 7, 3, 1)
    assert body[METRIC_BODY.size :] == b"runk"


@pytest.mark.reliability("A10")
def test_torn_tail_is_ignored_and_a_bad_crc_is_skipped(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    writer.append([Metric("r", "a", float(i), i, i) for i in range(5)])
    writer.close()
    path = tmp_path / segment_name(1)
    full = path.read_bytes()
    # a record cut in the middle (the kernel died inside os.write)
    path.write_bytes(full[:-7])
    assert [e.value for _, e in iter_records(tmp_path)] == [0.0, 1.0, 2.0, 3.0]
    # a flipped byte in record 3: that record is skipped and named, the intact ones after it read
    damaged = bytearray(full)
    record = FRAME.size + METRIC_BODY.size + 2  # every record here has the same size
    damaged[SEGMENT_HEADER.size + 2 * record + FRAME.size + 12] ^= 0xFF
    path.write_bytes(bytes(damaged))
    reader = JournalReader(tmp_path)
    batch = reader.read(final=True)
    assert [e.value for _, e in batch.records] == [0.0, 1.0, 3.0, 4.0]
    assert batch.corrupt_bytes == record
    assert reader.damaged == [3]
    # a damaged length field: the reader finds the next intact record by its CRC
    damaged = bytearray(full)
    damaged[SEGMENT_HEADER.size + record + 1] ^= 0x40
    path.write_bytes(bytes(damaged))
    reader = JournalReader(tmp_path)
    assert [e.value for _, e in reader.read(final=True).records] == [0.0, 2.0, 3.0, 4.0]
    assert reader.damaged == [2]


def test_live_reader_waits_for_a_partial_record(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path)
    writer.append([Metric("r", "a", 1.0, 1, 1)])
    reader = JournalReader(tmp_path)
    assert len(reader.read().records) == 1
    # half a record written by hand where the writer's next one goes: a live reader must not
    # skip it
    data = journal.encode(2, Metric("r", "a", 2.0, 2, 2))
    end = reader.offset
    fd = os.open(tmp_path / segment_name(1), os.O_WRONLY)
    os.pwrite(fd, data[:10], end)
    assert reader.read().records == []
    os.pwrite(fd, data[10:], end + 10)
    os.close(fd)
    assert [seq for seq, _ in reader.read().records] == [2]


def test_zeros_after_the_last_record_are_not_damage(tmp_path: Path) -> None:
    # A writer that dies (SIGKILL) leaves the space it allocated ahead as zeros after its last
    # record: a replay reads every record and reports nothing damaged.
    writer = JournalWriter(tmp_path)
    for i in range(100):
        writer.append([Metric("r", "a", float(i), i, i)])
    path = tmp_path / segment_name(1)
    assert path.read_bytes().endswith(bytes(1024))  # the writer is alive: zeros follow
    reader = JournalReader(tmp_path)
    batch = reader.read(final=True)
    assert [seq for seq, _ in batch.records] == list(range(1, 101))
    assert batch.corrupt_bytes == 0 and reader.damaged == [] and reader.exhausted


def _closed_segment_of_five(kernel_journal: Path) -> Path:
    """A finished journal segment holding metric records 1 to 5 (values 0.0 to 4.0)."""
    writer = JournalWriter(kernel_journal)
    for i in range(5):
        writer.append([Metric("r", "a", float(i), i, i)])
    writer.close()
    return kernel_journal / segment_name(1)


def test_a_record_torn_in_the_map_is_named_and_the_zeros_after_it_are_not_damage(
    tmp_path: Path,
) -> None:
    # A kernel killed while copying a record into its mapped window leaves the record's first
    # bytes, then the rest of the window as zeros: the replay names that record and reports
    # only its bytes as torn, not the window (it used to count, and scan, the whole MiB).
    path = _closed_segment_of_five(tmp_path)
    torn = journal.encode(6, Metric("r", "a", 5.0, 5, 5))[:9]  # frame header, 1 byte of body
    path.write_bytes(path.read_bytes() + torn + bytes(journal.MAP_WINDOW))
    reader = JournalReader(tmp_path)
    batch = reader.read(final=True)
    assert [seq for seq, _ in batch.records] == [1, 2, 3, 4, 5]
    assert batch.corrupt_bytes == len(torn)
    assert reader.damaged == [6] and reader.exhausted


def test_the_search_for_the_next_intact_record_skips_zero_runs_exactly() -> None:
    # After a damaged record, zeros of every length and then an intact record: found at its
    # first byte, whichever bytes of its length field are zero (lengths 39, 256 and 65,536).
    for length in (39, 256, 65_536):
        key = "k" * (length - journal.METRIC_BODY.size - 1)
        record = journal.encode(9, Metric("r", key, 1.0, 1, 1))
        assert journal.FRAME.unpack_from(record)[0] == length
        for zeros in (0, 1, 3, 4, 5, 4096):
            data = b"\xff" * 3 + bytes(zeros) + record
            assert journal.next_intact(data, 0, after_seq=0) == 3 + zeros
    assert journal.next_intact(b"\xff" + bytes(4096), 0, after_seq=0) is None


@pytest.mark.parametrize("read_size", [61, 97, 4096])
def test_reads_cut_anywhere_in_records_with_zero_bytes_lose_nothing(
    tmp_path: Path, read_size: int
) -> None:
    # Records hold zero bytes (0.0, small steps and sequence numbers), and a read may end in the
    # middle of one: only zeros at a record boundary, a frame header or more of them, are the
    # writer's unwritten space.
    writer = JournalWriter(tmp_path)
    for i in range(300):
        writer.append([Metric("r", "a", 0.0, 256 * i, i)])
    reader = JournalReader(tmp_path)
    seen: list[int] = []
    while not reader.exhausted:
        batch = reader.read(max_bytes=read_size, final=True)
        seen += [seq for seq, _ in batch.records]
        assert batch.corrupt_bytes == 0
    assert seen == list(range(1, 301)) and reader.damaged == []
    writer.close()


def test_zeros_before_intact_records_are_damage_and_a_short_zero_tail_is_not(
    tmp_path: Path,
) -> None:
    path = _closed_segment_of_five(tmp_path)
    full = path.read_bytes()
    record = (len(full) - SEGMENT_HEADER.size) // 5
    # a record zeroed on disk, intact ones after it: they are read, the zeroed one is named
    damaged = bytearray(full)
    damaged[SEGMENT_HEADER.size + 2 * record : SEGMENT_HEADER.size + 3 * record] = bytes(record)
    path.write_bytes(bytes(damaged))
    reader = JournalReader(tmp_path)
    assert [seq for seq, _ in reader.read(final=True).records] == [1, 2, 4, 5]
    assert reader.damaged == [3]
    # fewer zeros than a frame header after the last record, up to the end: unwritten space
    path.write_bytes(full + bytes(5))
    reader = JournalReader(tmp_path)
    batch = reader.read(final=True)
    assert [seq for seq, _ in batch.records] == [1, 2, 3, 4, 5]
    assert batch.corrupt_bytes == 0 and reader.damaged == []


def test_where_fallocate_reserves_nothing_records_are_written_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert journal.file_system_type(Path("/proc/self")) == "proc"
    monkeypatch.setattr(journal, "MAPPED_FILE_SYSTEMS", frozenset())
    writer = JournalWriter(tmp_path)
    for i in range(3):
        writer.append([Metric("r", "a", float(i), i, i)])
    live = (tmp_path / segment_name(1)).read_bytes()
    writer.close()
    assert live == (tmp_path / segment_name(1)).read_bytes()  # no space allocated ahead
    assert [seq for seq, _ in iter_records(tmp_path)] == [1, 2, 3]


def _forked_child_append(writer: JournalWriter) -> int:
    """Exit code of a forked child that appends through ``writer``: 0 if the append raised
    ``JournalWriteError`` (and the child's ``close`` returned), 1 if it wrote."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            signal.alarm(20)  # a hang fails the test instead of holding it
            writer.append([Metric("r", "a", 2.0, 2, 2)])
            code = 1
        except JournalWriteError:
            writer.close()
            code = 0
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_fork_taken_while_another_thread_appends_does_not_hang_the_child(
    tmp_path: Path,
) -> None:
    writer = JournalWriter(tmp_path)
    writer.append([Metric("r", "a", 1.0, 1, 1)])
    writer._lock.acquire()  # as if another thread were inside append when the process forked
    try:
        assert _forked_child_append(writer) == 0
    finally:
        writer._lock.release()
    writer.close()
    assert [seq for seq, _ in iter_records(tmp_path)] == [1]


def test_a_forked_child_cannot_write_its_parents_journal(tmp_path: Path) -> None:
    # The child's copy of the writer would put its records (and sequence numbers) over the
    # parent's: it must refuse, and closing it must not cut the parent's segment.
    writer = JournalWriter(tmp_path)
    writer.append([Metric("r", "a", 1.0, 1, 1)])
    assert _forked_child_append(writer) == 0
    writer.append([Metric("r", "a", 3.0, 3, 3)])
    writer.close()
    assert [(seq, e.value) for seq, e in iter_records(tmp_path)] == [(1, 1.0), (2, 3.0)]


def test_segments_rotate_and_reader_follows(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path, segment_bytes=300)
    for i in range(50):
        writer.append([Metric("r", "a", float(i), i, i)])
    assert len(journal.list_segments(tmp_path)) > 5
    reader = JournalReader(tmp_path)
    seen: list[int] = []
    finished: list[tuple[int, int]] = []
    while True:
        batch = reader.read()
        finished += batch.finished
        if not batch.records:
            break
        seen += [seq for seq, _ in batch.records]
    assert seen == list(range(1, 51))
    assert [n for n, _ in finished] == journal.list_segments(tmp_path)[:-1]


def test_ack_file_round_trip_and_corruption(tmp_path: Path) -> None:
    assert read_ack(tmp_path) == 0
    ack = AckFile(tmp_path)
    ack.write(41)
    ack.write(7)  # never goes back
    ack.close()
    assert read_ack(tmp_path) == 41
    raw = bytearray((tmp_path / "ack").read_bytes())
    raw[0] ^= 1
    (tmp_path / "ack").write_bytes(bytes(raw))
    assert read_ack(tmp_path) == 0  # unreadable ack: resend everything (MLflow dedupes)
    assert iter_records(tmp_path, after_seq=0) is not None


def test_failed_write_leaves_no_torn_record(tmp_path: Path) -> None:
    # A real "file too large": RLIMIT_FSIZE in a child process, SIGXFSZ ignored.
    code = f"""
import resource, signal, sys
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from pathlib import Path
from trackside.kernel.journal.records import JournalWriter, JournalWriteError, Metric
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
w = JournalWriter(Path({str(tmp_path)!r}))
ok = failed = 0
for i in range(100):
    try:
        w.append([Metric("r", "k" * 40, float(i), i, i)] * 3)
        ok += 3
    except JournalWriteError:
        failed += 1
print(ok, failed)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    ok, failed = map(int, out.stdout.split())
    assert ok > 0 and failed > 0
    records = list(iter_records(tmp_path))
    assert len(records) == ok  # everything acknowledged as written is there, nothing torn
    assert [seq for seq, _ in records] == list(range(1, ok + 1))


def test_a_reader_takes_no_record_of_a_failed_pwrite_and_loses_none_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where records are written with pwrite, a write that fails partway is cut back and its
    # seqs go to the next records. A reader (the sender thread) that took the whole records the
    # write had put in before the cut would skip the next records, with those seqs, as seen:
    # lost; and the failed call's entries, which the caller sends itself, would go twice.
    monkeypatch.setattr(journal, "MAPPED_FILE_SYSTEMS", frozenset())
    writer = JournalWriter(tmp_path)
    writer.append([Metric("r", "a", float(i), i, i) for i in range(2)])
    reader = JournalReader(tmp_path)
    seen = reader.read().records
    record = len(journal.encode(3, Metric("r", "a", 10.0, 10, 10)))
    stop = writer._size + 2 * record  # the failing write puts two whole records in the file
    real_pwrite = os.pwrite
    calls = 0

    def torn_pwrite(fd: int, data: bytes, offset: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            return real_pwrite(fd, data[: max(0, stop - offset)], offset)
        seen.extend(reader.read().records)  # the sender thread reads between two calls
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", torn_pwrite)
    with pytest.raises(JournalWriteError):
        writer.append([Metric("r", "a", 10.0 + i, 10 + i, 10 + i) for i in range(3)])
    monkeypatch.setattr(os, "pwrite", real_pwrite)
    seen += reader.read().records
    after_failure = reader.last_seq  # what the sender could have acknowledged by now
    writer.append([Metric("r", "a", 20.0 + i, 20 + i, 20 + i) for i in range(3)])
    seen += reader.read().records
    assert [e.value for _, e in seen] == [0.0, 1.0, 20.0, 21.0, 22.0]
    assert [seq for seq, _ in seen] == [1, 2, 3, 4, 5]
    writer.close()  # then a replay after the kernel died: resends what follows the ack
    assert [e.value for _, e in iter_records(tmp_path, after_seq=after_failure)] == [20, 21, 22]


def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    fd = try_lock(tmp_path)
    assert fd is not None
    probe = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parents[2])!r});"
        "from pathlib import Path; from trackside.kernel.journal.records import try_lock;"
        f"print(try_lock(Path({str(tmp_path)!r})) is None)"
    )
    held = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert held.stdout.strip() == "True"
    unlock(fd)
    free = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert free.stdout.strip() == "False"


def test_unknown_kind_is_treated_as_corrupt(tmp_path: Path) -> None:
    body = struct.pack("<QB", 1, ord("Z")) + b"??"
    frame = FRAME.pack(len(body), zlib.crc32(body)) + body
    records, offset, bad = journal.decode_records(frame)
    assert (records, offset, bad) == ([], 0, True)


@pytest.mark.parametrize("entry", ENTRIES)
def test_encode_decode_each(entry: journal.Entry) -> None:
    data = journal.encode(9, entry)
    records, offset, bad = journal.decode_records(data)
    assert not bad and offset == len(data)
    assert records[0][0] == 9 and _same(entry, records[0][1])


def test_update_owner_keeps_other_fields(tmp_path: Path) -> None:
    (tmp_path / "owner.json").write_text('{"pid": 7, "tracking_uri": "http://x"}')
    journal.update_owner(tmp_path, server_id="experiment 0 created 1 at a")
    assert journal.read_owner(tmp_path) == {
        "pid": 7,
        "tracking_uri": "http://x",
        "server_id": "experiment 0 created 1 at a",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["owner.json"]  # nothing left aside
