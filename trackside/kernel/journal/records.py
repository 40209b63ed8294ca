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

A record is copied into a shared memory map of the segment (``MAP_SHARED``: the bytes are in the
OS page cache, and survive SIGKILL of the kernel, when the logging call returns, as after a
``write``, without its system call). The writer allocates the file ahead of the records, a window
at a time, with ``posix_fallocate``, and only on file systems where that reserves the blocks
(``MAPPED_FILE_SYSTEMS``), so a full disk is an error at the window, not a SIGBUS in the copy. It
cuts a segment to its records when it leaves it; until then, and in the last segment of a kernel
that died, zero bytes follow the last record: readers treat them as not yet written. Where a
window cannot be had (another file system, disk full, a file size limit), records are written
with ``pwrite`` (for the next window's worth of bytes, then a window is tried again); of an
append of several records, the first frame header is written last, so that readers see none of
them until all are in (a failed append is cut, and its seqs go to the next records). A torn
record can only be the last one of a segment; readers stop there. In a finished segment, a
record damaged on disk is skipped (the reader resumes at the next record whose CRC holds) and
its seq reported.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import mmap
import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .. import process

MAGIC = b"TSJOURN1"
SEGMENT_HEADER = struct.Struct("<8sQ")
FRAME = struct.Struct("<II")
METRIC_BODY = struct.Struct("<QBdqqHH")
JSON_BODY = struct.Struct("<QB")
ACK = struct.Struct("<QI")
KIND_METRIC = ord("M")
KIND_JSON = ord("J")
SEGMENT_BYTES = 64 * 1024 * 1024
# How much of a segment is allocated and mapped at a time (a multiple of the mmap granularity).
MAP_WINDOW = 1024 * 1024
_ZERO_HEADER = bytes(8)
_NONZERO = re.compile(rb"[^\x00]")
_LENGTH_BYTES = struct.calcsize("<I")  # FRAME's first field
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
    last = len(data) - header - JSON_BODY.size
    offset = start
    while offset < last:
        offset += 1
        length, crc = FRAME.unpack_from(data, offset)
        if length == 0:
            # No frame has a zero length: skip a run of zeros (a mapped writer's space
            # allocated ahead, up to a window of it after a record torn by a kill) in one step,
            # to the first offset whose length field holds the next nonzero byte.
            nonzero = _NONZERO.search(data, offset)
            if nonzero is None:
                return None
            offset = nonzero.start() - _LENGTH_BYTES
            continue
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


# File systems whose ``fallocate`` reserves the blocks, so that a later store into a mapped page
# cannot fail for space (which would be a SIGBUS, killing the kernel): elsewhere (btrfs and ZFS
# with copy-on-write, NFS, FUSE…) records are written with ``pwrite``. Docker's overlay2 keeps
# its files on ext4 or xfs.
MAPPED_FILE_SYSTEMS = frozenset({"ext4", "xfs", "tmpfs", "overlay"})
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def file_system_type(path: Path) -> str | None:
    """The type of the file system that holds ``path`` (from Linux's mountinfo), or None."""
    try:
        target = os.path.realpath(path)
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    found, kind = "", None
    for line in lines:
        mount, separator, source = line.partition(" - ")
        fields = mount.split()
        if not separator or len(fields) < 5 or not source:
            continue
        point = _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), fields[4])
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(found):  # the deepest mount; the last one wins a tie
            found, kind = point, source.split()[0]
    return kind


def _reserves_space(path: Path) -> bool:
    return hasattr(os, "posix_fallocate") and file_system_type(path) in MAPPED_FILE_SYSTEMS


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    written = os.pwrite(fd, data, offset)
    while written < len(data):  # short write: keep going until an error
        written += os.pwrite(fd, data[written:], offset + written)


class JournalWriter:
    """Appends records to the kernel journal's current segment; thread-safe.

    Belongs to the process that created it: in a forked child, ``append`` raises
    ``JournalWriteError`` (the child would write over its parent's records), so the child's
    calls go to MLflow synchronously (``durable.py``'s fallback).
    """

    def __init__(self, kernel_journal: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.kernel_journal = kernel_journal
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        segments = list_segments(kernel_journal)
        self.segment = segments[-1] if segments else 0
        self.next_seq = read_ack(kernel_journal) + 1
        self._pid = process.pid
        self._fd = -1
        self._size = 0  # end of the last record in the current segment
        self._broken = True  # open a fresh segment on first append
        self._map: mmap.mmap | None = None
        self._map_start = 0  # the file offsets the map covers
        self._map_end = 0
        self._unmapped_until = 0  # after a failed window: pwrite up to here, then try again
        self._mappable = _reserves_space(kernel_journal)

    def append(self, entries: Sequence[Entry]) -> int:
        """Write ``entries``, in one copy into the segment's map; returns the last sequence number.

        Raises ``JournalWriteError`` if the OS did not take all of it; nothing of a failed call
        stays in the journal.
        """
        # Checked before the lock: a fork taken while another thread held it leaves the child a
        # copy that is never released.
        if self._pid != process.pid:
            raise JournalWriteError(
                errno.EPERM, f"this process is a fork of {self._pid}, whose journal this is"
            )
        with self._lock:
            seq = self.next_seq
            if len(entries) == 1:
                data = encode(seq, entries[0])
            else:
                data = b"".join(encode(seq + i, entry) for i, entry in enumerate(entries))
            if self._broken or self._size >= self.segment_bytes:
                self._rotate(seq)
            start = self._size
            end = start + len(data)
            if end <= self._map_end:
                self._map[start - self._map_start : end - self._map_start] = data  # type: ignore[index]
            else:
                self._write_beyond_map(start, data)
            self._size = end
            self.next_seq = seq + len(entries)
            return self.next_seq - 1

    def _write_beyond_map(self, start: int, data: bytes) -> None:
        end = start + len(data)
        if self._map_window(start, end):
            self._map[start - self._map_start : end - self._map_start] = data  # type: ignore[index]
            return
        # A reader must take no record of an append before all of it is in: a failed append is
        # cut and its seqs go to the next records, which a reader that took some would skip as
        # seen. One record is whole only then; of several, the first frame header goes last
        # (until then a reader sees zeros where the append starts: unwritten space).
        held = FRAME.size if FRAME.size + FRAME.unpack_from(data)[0] < len(data) else 0
        try:
            _pwrite_all(self._fd, data[held:], start + held)
            if held:
                _pwrite_all(self._fd, data[:held], start)
        except OSError as error:
            self._undo(start)
            raise JournalWriteError(error.errno or errno.EIO, str(error)) from error

    def _map_window(self, start: int, end: int) -> bool:
        """Allocate and map the file from ``start``'s page on, at least up to ``end``."""
        self._unmap()
        if not self._mappable or start < self._unmapped_until:
            return False
        base = start - start % mmap.ALLOCATIONGRANULARITY
        length = max(MAP_WINDOW, end - base)
        length += -length % mmap.ALLOCATIONGRANULARITY
        try:
            os.posix_fallocate(self._fd, base, length)
            self._map = mmap.mmap(self._fd, length, offset=base)
        except (OSError, ValueError):
            self._unmapped_until = start + MAP_WINDOW
            return False
        self._map_start, self._map_end = base, base + length
        return True

    def _unmap(self) -> None:
        if self._map is not None:
            with contextlib.suppress(OSError, BufferError):
                self._map.close()
        self._map = None
        self._map_start = self._map_end = 0

    def _finish_segment(self) -> None:
        """Unmap the current segment and cut the space allocated past its last record."""
        self._unmap()
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                if os.fstat(self._fd).st_size > self._size:
                    os.ftruncate(self._fd, self._size)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1

    def _rotate(self, first_seq: int) -> None:
        self._finish_segment()
        self._unmapped_until = 0
        self.segment += 1
        path = self.kernel_journal / segment_name(self.segment)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            self._broken = True
            raise JournalWriteError(error.errno or errno.EIO, str(error)) from error
        try:
            os.pwrite(fd, SEGMENT_HEADER.pack(MAGIC, first_seq), 0)
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
        if self._pid != process.pid:
            return  # a forked child's copy: the segment, and maybe the lock, are its parent's
        with self._lock:
            self._finish_segment()
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
            unwritten = self._unwritten(data, used, size, live=not (later or final))
            if unwritten is None:
                size *= 2  # zeros up to the end of the read: see what follows them
                continue
            if unwritten:
                data, bad = data[:used], False  # nothing more here for now, nothing damaged
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
                corrupt += self._torn_bytes(data, used, size)
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

    @staticmethod
    def _torn_bytes(data: bytes, used: int, size: int) -> int:
        """The damaged bytes after the last whole record of a finished segment. Zeros that run to
        the end of the file are space allocated ahead, not damage (a kernel killed while copying
        a record into its map leaves the torn record, then the rest of the window); a torn
        record's own last zero bytes are not counted either."""
        if len(data) < size:
            return len(data.rstrip(b"\0")) - used
        return len(data) - used

    @staticmethod
    def _unwritten(data: bytes, used: int, size: int, live: bool) -> bool | None:
        """Whether the bytes after the last whole record are space the writer allocated ahead
        and has not written: zeros from that record boundary on. None: zeros up to the end of a
        full read of a finished segment, where only a longer read can tell.

        A live writer writes in order, so a frame header of zeros (no record has one) is where
        it stands. In a finished segment zeros are unwritten only if they reach its end: zeros
        with records after them are damage, and the damaged-record search handles them.
        """
        if used == len(data):
            return False
        if live and len(data) - used >= FRAME.size:
            return data[used : used + FRAME.size] == _ZERO_HEADER
        if data.count(0, used) != len(data) - used:
            return False
        if len(data) < size:  # zeros up to the end of the file
            return True
        return False if live else None

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
