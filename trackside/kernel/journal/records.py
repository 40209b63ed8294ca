# Over 400 lines on purpose: the one on-disk journal format (entries, framing, ack, lock, writer
# and reader) kept in one file so that writing and reading cannot drift apart.
"""The append-only journal: one record per logged entry, on disk before the logging call returns.

Layout of one kernel journal (one kernel's ``DurableLogging``), under the journal directory::

    <kernel journal>/owner.json        pid, process start time, host, tracking URI, created (ms),
                                       server_id (once the sender reached the server)
    <kernel journal>/lock              flock'ed by the owner for its whole life (orphan = lockable)
    <kernel journal>/ack               last acknowledged sequence number: <Q seq><I crc32(seq)>
    <kernel journal>/seg-000001.tsj    segments: 16-byte header, then records

Segment header: ``b"TSJOURN1"`` + ``<Q first_seq>``. Record (little-endian)::

    <I body_len> <I crc32(body)> body
    body = <Q seq> <B kind> payload
    kind "M": <d value> <q timestamp_ms> <q step> <H len(run_id)> <H len(key)> run_id key (utf-8)
    kind "J": UTF-8 JSON object (params, tags, run updates, metrics with model/dataset ids)

A record is written with one ``os.write`` on an unbuffered ``O_APPEND`` descriptor, so it is in
the OS (and survives SIGKILL of the kernel) when the logging call returns. A torn record can only
be the last one of a segment; readers stop there. In a finished segment, a record damaged on disk
is skipped (the reader resumes at the next record whose CRC holds) and its seq reported.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

MAGIC = b"TSJOURN1"
SEGMENT_HEADER = struct.Struct("<8sQ")
FRAME = struct.Struct("<II")
METRIC_BODY = struct.Struct("<QBdqqHH")
JSON_BODY = struct.Struct("<QB")
ACK = struct.Struct("<QI")
KIND_METRIC = ord("M")
KIND_JSON = ord("J")
SEGMENT_BYTES = 64 * 1024 * 1024
_SEGMENT_RE = re.compile(r"^seg-(\d{6,})\.tsj$")


class Metric(NamedTuple):
    run_id: str
    key: str
    value: float
    timestamp: int
    step: int
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


class Param(NamedTuple):
    run_id: str
    key: str
    value: str


class Tag(NamedTuple):
    run_id: str
    key: str
    value: str


class RunUpdate(NamedTuple):
    run_id: str
    status: str | None
    end_time: int | None
    name: str | None


Entry = Metric | Param | Tag | RunUpdate


class JournalWriteError(OSError):
    """The journal could not take a record (disk full, file too large, I/O error)."""


# (run id, key) -> (len of run id, len of key, run id + key), UTF-8: a loop logs the same few
# metric names of one run again and again.
_names: dict[tuple[str, str], tuple[int, int, bytes]] = {}
_NAMES_MAX = 4096


def encode(seq: int, entry: Entry) -> bytes:
    """One framed record."""
    if type(entry) is Metric and entry.model_id is None and entry.dataset_name is None:
        run_id, key, value, timestamp, step, _, _, _ = entry
        names = _names.get((run_id, key))
        if names is None:
            run, name = run_id.encode(), key.encode()
            names = (len(run), len(name), run + name)
            if len(_names) >= _NAMES_MAX:
                _names.clear()
            _names[run_id, key] = names
        body = METRIC_BODY.pack(seq, KIND_METRIC, value, timestamp, step, names[0], names[1])
        body += names[2]
    else:
        body = JSON_BODY.pack(seq, KIND_JSON) + _to_json(entry)
    return FRAME.pack(len(body), zlib.crc32(body)) + body


def _to_json(entry: Entry) -> bytes:
    kind = {Metric: "metric", Param: "param", Tag: "tag", RunUpdate: "run"}[type(entry)]
    return json.dumps({"type": kind, **entry._asdict()}, separators=(",", ":")).encode()


def _from_json(data: bytes) -> Entry:
    fields = json.loads(data)
    kind = fields.pop("type")
    cls = {"metric": Metric, "param": Param, "tag": Tag, "run": RunUpdate}[kind]
    return cls(**fields)


def decode_body(body: bytes) -> tuple[int, Entry]:
    kind = body[8]
    if kind == KIND_METRIC:
        seq, _, value, timestamp, step, run_len, key_len = METRIC_BODY.unpack_from(body)
        start = METRIC_BODY.size
        run = body[start : start + run_len].decode()
        key = body[start + run_len : start + run_len + key_len].decode()
        return seq, Metric(run, key, value, timestamp, step)
    if kind == KIND_JSON:
        seq = JSON_BODY.unpack_from(body)[0]
        return seq, _from_json(body[JSON_BODY.size :])
    raise ValueError(f"unknown record kind {kind}")


def decode_records(data: bytes, offset: int = 0) -> tuple[list[tuple[int, Entry]], int, bool]:
    """Records in ``data[offset:]``: (records, offset after the last good one, stopped on bad).

    Stops at an incomplete frame (more may come) or at a bad CRC / undecodable body (torn or
    corrupt; ``bad`` is True then).
    """
    records: list[tuple[int, Entry]] = []
    end = len(data)
    header = FRAME.size
    while offset + header <= end:
        length, crc = FRAME.unpack_from(data, offset)
        if offset + header + length > end:
            break
        body = data[offset + header : offset + header + length]
        if zlib.crc32(body) != crc or length < JSON_BODY.size:
            return records, offset, True
        try:
            records.append(decode_body(body))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, struct.error):
            return records, offset, True
        offset += header + length
    return records, offset, False


def next_intact(data: bytes, start: int, after_seq: int) -> int | None:
    """Offset of the first intact record after ``start`` with a seq above ``after_seq``: where
    reading resumes after a damaged record (its length field may be damaged too)."""
    header = FRAME.size
    for offset in range(start + 1, len(data) - header - JSON_BODY.size + 1):
        length, crc = FRAME.unpack_from(data, offset)
        if length < JSON_BODY.size or offset + header + length > len(data):
            continue
        body = data[offset + header : offset + header + length]
        if zlib.crc32(body) != crc:
            continue
        try:
            seq, _ = decode_body(body)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, struct.error):
            continue
        if seq > after_seq:
            return offset
    return None


def segment_name(number: int) -> str:
    return f"seg-{number:06d}.tsj"


def list_segments(kernel_journal: Path) -> list[int]:
    numbers = []
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(kernel_journal):
            match = _SEGMENT_RE.match(name)
            if match:
                numbers.append(int(match.group(1)))
    return sorted(numbers)


# --- acknowledgements ---------------------------------------------------------------------


def read_ack(kernel_journal: Path) -> int:
    """Highest sequence number MLflow acknowledged (or dead-lettered); 0 if none or unreadable."""
    try:
        data = (kernel_journal / "ack").read_bytes()
        seq, crc = ACK.unpack_from(data)
    except (OSError, struct.error):
        return 0
    return seq if zlib.crc32(seq.to_bytes(8, "little")) == crc else 0


class AckFile:
    """``ack`` written in place with one ``pwrite`` (12 bytes) per acknowledged batch."""

    def __init__(self, kernel_journal: Path) -> None:
        self.value = read_ack(kernel_journal)
        self._fd = os.open(kernel_journal / "ack", os.O_RDWR | os.O_CREAT, 0o600)

    def write(self, seq: int) -> None:
        if seq <= self.value:
            return
        os.pwrite(self._fd, ACK.pack(seq, zlib.crc32(seq.to_bytes(8, "little"))), 0)
        self.value = seq

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


# --- ownership ------------------------------------------------------------------------------


def try_lock(kernel_journal: Path) -> int | None:
    """An fd holding the kernel journal's exclusive flock, or None if another process holds it."""
    try:
        fd = os.open(kernel_journal / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        os.close(fd)


def read_owner(kernel_journal: Path) -> dict[str, object]:
    try:
        return dict(json.loads((kernel_journal / "owner.json").read_text()))
    except (OSError, ValueError):
        return {}


def update_owner(kernel_journal: Path, **fields: object) -> None:
    """Add ``fields`` to ``owner.json`` (written aside and renamed: never half a file)."""
    owner = read_owner(kernel_journal)
    owner.update(fields)
    aside = kernel_journal / "owner.json.new"
    aside.write_text(json.dumps(owner))
    os.replace(aside, kernel_journal / "owner.json")


# --- writing --------------------------------------------------------------------------------


class JournalWriter:
    """Appends records to the kernel journal's current segment; thread-safe."""

    def __init__(self, kernel_journal: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.kernel_journal = kernel_journal
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        segments = list_segments(kernel_journal)
        self.segment = segments[-1] if segments else 0
        self.next_seq = read_ack(kernel_journal) + 1
        self._fd = -1
        self._size = 0
        self._broken = True  # open a fresh segment on first append

    def append(self, entries: Sequence[Entry]) -> int:
        """Write ``entries`` with one ``os.write``; returns the last sequence number.

        Raises ``JournalWriteError`` if the OS did not take all of it; nothing of a failed call
        stays in the journal.
        """
        with self._lock:
            seq = self.next_seq
            if len(entries) == 1:
                data = encode(seq, entries[0])
            else:
                data = b"".join(encode(seq + i, entry) for i, entry in enumerate(entries))
            if self._broken or self._size >= self.segment_bytes:
                self._rotate(seq)
            start = self._size
            try:
                written = os.write(self._fd, data)
                while written < len(data):  # short write: keep going until an error
                    written += os.write(self._fd, data[written:])
            except OSError as error:
                self._undo(start)
                raise JournalWriteError(error.errno or errno.EIO, str(error)) from error
            self._size += written
            self.next_seq = seq + len(entries)
            return self.next_seq - 1

    def _rotate(self, first_seq: int) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        self.segment += 1
        path = self.kernel_journal / segment_name(self.segment)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        except OSError as error:
            self._broken = True
            raise JournalWriteError(error.errno or errno.EIO, str(error)) from error
        try:
            os.write(fd, SEGMENT_HEADER.pack(MAGIC, first_seq))
        except OSError as error:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            self.segment -= 1
            self._broken = True
            raise JournalWriteError(error.errno or errno.EIO, str(error)) from error
        self._fd = fd
        self._size = SEGMENT_HEADER.size
        self._broken = False

    def _undo(self, start: int) -> None:
        # Cut a partly written record so that later records are never behind a torn one;
        # if even that fails, later appends go to a new segment.
        try:
            os.ftruncate(self._fd, start)
        except OSError:
            self._broken = True

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = -1
            self._broken = True


# --- reading --------------------------------------------------------------------------------


@dataclass
class ReadBatch:
    records: list[tuple[int, Entry]]
    # segments the reader finished and left (safe to delete once their last seq is acked)
    finished: list[tuple[int, int]]  # (segment number, last seq in it)
    corrupt_bytes: int


class JournalReader:
    """Reads a kernel journal's records in order, segment after segment, from where it stopped."""

    def __init__(self, kernel_journal: Path, after_seq: int = 0) -> None:
        self.kernel_journal = kernel_journal
        segments = list_segments(kernel_journal)
        self.segment = segments[0] if segments else 1
        self.offset = SEGMENT_HEADER.size
        self.last_seq = after_seq
        self.exhausted = False  # ``final`` reads reached the end of the last segment
        self.damaged: list[int] = []  # seqs of records lost to damaged bytes, for the report
        self._gap_from: int | None = None  # first seq of damaged bytes not yet placed
        self._fd = -1

    def read(self, max_bytes: int = 4 * 1024 * 1024, final: bool = False) -> ReadBatch:
        """The next records. ``final``: the writer is gone, so a torn tail ends the journal."""
        records: list[tuple[int, Entry]] = []
        finished: list[tuple[int, int]] = []
        corrupt = 0
        size = max_bytes
        while True:
            # Look for a later segment BEFORE reading: if one exists, this one is complete.
            later = [n for n in list_segments(self.kernel_journal) if n > self.segment]
            data = self._pread(size)
            got, used, bad = decode_records(data)
            for seq, entry in got:
                if seq > self.last_seq:
                    if self._gap_from is not None:
                        self.damaged.extend(range(self._gap_from, seq))
                        self._gap_from = None
                    records.append((seq, entry))
                    self.last_seq = seq
            self.offset += used
            if (bad or len(data) < size) and used < len(data) and (later or final):
                # a complete segment with a damaged record (or length): skip it, keep the rest
                resume = next_intact(data, used, self.last_seq)
                if resume is not None:
                    self._gap_from = self._gap_from or self.last_seq + 1
                    corrupt += resume - used
                    self.offset += resume - used
                    continue
            if len(data) == size and not bad:
                if used == 0:
                    size *= 2  # one record larger than the read size
                    continue
                return ReadBatch(records, finished, corrupt)  # more to read: come back
            if not (later or final):
                return ReadBatch(records, finished, corrupt)  # live tail: may still grow
            if len(data) > used and not self.exhausted:  # counted once, however often re-read
                corrupt += len(data) - used
                self._gap_from = self._gap_from or self.last_seq + 1
            finished.append((self.segment, self.last_seq))
            if not later:
                self.exhausted = True
                if self._gap_from is not None:  # a damaged tail: at least that record
                    self.damaged.append(self._gap_from)
                    self._gap_from = None
                return ReadBatch(records, finished, corrupt)
            self._next_segment(later[0])
            if records:
                return ReadBatch(records, finished, corrupt)

    def _pread(self, size: int) -> bytes:
        if self._fd < 0:
            path = self.kernel_journal / segment_name(self.segment)
            try:
                self._fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                return b""
            header = os.pread(self._fd, SEGMENT_HEADER.size, 0)
            if len(header) == SEGMENT_HEADER.size and header[:8] != MAGIC:
                raise ValueError(f"{path} is not a Trackside journal segment")
        return os.pread(self._fd, size, self.offset)

    def _next_segment(self, number: int) -> None:
        self.close()
        self.segment = number
        self.offset = SEGMENT_HEADER.size

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = -1


def iter_records(kernel_journal: Path, after_seq: int = 0) -> Iterator[tuple[int, Entry]]:
    """Every intact record of a finished kernel journal with seq > after_seq, in order."""
    reader = JournalReader(kernel_journal, after_seq)
    try:
        while not reader.exhausted:
            yield from reader.read(final=True).records
    finally:
        reader.close()
