"""Live metric stream: metric feed → bounded buffer → coalesced Arrow messages on a comm.

``start_stream()`` listens to every logged metric point
(:func:`trackside.kernel.mlflow_hook.listen`, through :mod:`trackside.kernel.live.feed`).
The feed callback runs in whatever thread logs the metric, so it only appends the points it is
given to a bounded in-memory buffer. A background sender thread drains that buffer at
most ``max_rate`` times a second (20 by default, far below the 1000 msgs/s at which
Jupyter's IOPub limiter starts dropping) and sends each batch as one comm message.

Comm ``trackside.metrics`` (kernel → frontend), opened lazily on the first data with
``metadata = {"version": 1}`` and ``data = {"type": "hello", "version": 1, "seq": next}``;
reopened (with a back-off) when the frontend closes it. Each message::

    data = {
        "type": "points",
        "stream": "trackside.metrics",  # lets a reloaded page adopt the comm
        "seq": int,             # +1 per message, starting at 1
        "decimated": bool,      # True: display points, first/last/min/max per bucket
        "points": int,          # rows in the buffer
        "dropped_exact": int,   # only when decimated: exact points not in this message
        "lost": [[run_id, key], ...],  # only after an overflow: series that lost points
    }
    buffers = [Arrow IPC stream: run_id, key dictionary<int32, utf8>;
               step, timestamp (ms), value float64]

Above ``byte_budget`` per message, the points are decimated for display (and the
message says so); the exact points still reach MLflow through the journal/sender path.
The same comm carries the journal's ``{"type": "sync", ...}`` backlog messages
(:mod:`trackside.kernel.live.sync_status`).
Nothing here ever raises into user code: failures warn once on stderr.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ... import wire
from ...retry import Backoff
from .columns import series_of, to_columns
from .sync_status import SyncReporter

TARGET_NAME = "trackside.metrics"
PROTOCOL_VERSION = 1

DEFAULT_MAX_RATE = 20.0
DEFAULT_BYTE_BUDGET = 256 * 1024
DEFAULT_MAX_BUFFERED = 2_000_000
MAX_LOST_SERIES = 1000

#: Reopening a comm the frontend closed: after 1 s, doubling up to a minute.
_REOPEN = Backoff(first=1.0, cap=60.0)
_STABLE_COMM_SECONDS = 30.0

Subscribe = Callable[[Callable[[Sequence[Any]], None]], Callable[[], None]]
CommFactory = Callable[..., Any]

_warned: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key in _warned:
        return
    _warned.add(key)
    try:
        from ..notices import notice
    except Exception:
        notice = None
    try:
        if notice is not None:
            notice(message, once=f"stream:{key}")
        else:
            print(f"trackside: {message}", file=sys.stderr, flush=True)
    except Exception:
        with contextlib.suppress(Exception):
            warnings.warn(f"trackside: {message}", RuntimeWarning, stacklevel=2)


def _default_comm_factory(**kwargs: Any) -> Any:
    import comm

    return comm.create_comm(**kwargs)


class MetricStream:
    """The buffer, the sender thread and the comm of the live metric stream."""

    def __init__(
        self,
        *,
        max_rate: float = DEFAULT_MAX_RATE,
        byte_budget: int = DEFAULT_BYTE_BUDGET,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
        comm_factory: CommFactory | None = None,
    ) -> None:
        self.max_rate = max(0.1, float(max_rate))
        self.byte_budget = max(4096, int(byte_budget))
        self.max_buffered = max(1, int(max_buffered))
        self._comm_factory = comm_factory or _default_comm_factory
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._chunks: list[Sequence[Any]] = []
        self._buffered = 0
        self._lost: set[tuple[str, str]] = set()
        self._lost_overflow = False
        self._sending = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._comm: Any = None
        self._comm_lock = threading.RLock()  # the points thread and the sync reporter
        self._comm_opened_at = 0.0
        self._reopen_at = 0.0
        self._reopen_attempt = 0  # closes in a row, each soon after its opening
        self.seq = 0
        self.messages_sent = 0

    # -- logging thread -------------------------------------------------------------

    def feed(self, points: Sequence[Any]) -> None:
        """Tee callback: O(1), never serializes, never raises."""
        try:
            n = len(points)
            if not n:
                return
            with self._lock:
                if self._stopping:
                    return
                if self._buffered + n > self.max_buffered:
                    self._note_lost(points)
                    return
                # Wake the sender only for the first chunk since it last drained (it clears
                # the event under this lock): ``Event.set`` costs ~0.5 µs on every call.
                first = not self._chunks
                self._chunks.append(points)
                self._buffered += n
            if first:
                self._wake.set()
        except Exception as error:  # pragma: no cover - defensive
            _warn_once("feed", f"live metric stream disabled for a batch: {error!r}")

    def _note_lost(self, points: Sequence[Any]) -> None:
        # Only on overflow (the sender is far behind): remember which series lost points.
        if self._lost_overflow:
            return
        for point in points:
            self._lost.add((str(point.run_id), str(point.key)))
            if len(self._lost) > MAX_LOST_SERIES:
                self._lost_overflow = True
                break

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="trackside-stream", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Send what is buffered (best effort), stop the thread and close the comm."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        comm, self._comm = self._comm, None
        if comm is not None:
            with contextlib.suppress(Exception):
                comm.close()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything fed so far has been sent (tests, extension unload)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._chunks or self._sending or self._lost:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._thread is None:
                    return False
                self._wake.set()
                self._idle.wait(min(remaining, 0.05))
        return True

    # -- sender thread --------------------------------------------------------------

    def _run(self) -> None:
        interval = 1.0 / self.max_rate
        last = -interval
        while True:
            self._wake.wait()
            if self._stopping:
                self._drain_and_send()
                return
            delay = last + interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self._drain_and_send():
                last = time.monotonic()

    def _drain_and_send(self) -> bool:
        with self._lock:
            chunks, self._chunks = self._chunks, []
            self._buffered = 0
            lost, self._lost = self._lost, set()
            lost_overflow, self._lost_overflow = self._lost_overflow, False
            self._wake.clear()
            self._sending = bool(chunks or lost)
        if not self._sending:
            return False
        try:
            return self._send(chunks, lost, lost_overflow)
        except Exception as error:
            _warn_once("send", f"live metric stream: a message could not be sent ({error!r})")
            return False
        finally:
            with self._lock:
                self._sending = False
                self._idle.notify_all()

    def _send(
        self, chunks: list[Sequence[Any]], lost: set[tuple[str, str]], lost_overflow: bool
    ) -> bool:
        columns = to_columns(chunks)
        with self._comm_lock:
            return self._send_columns(columns, lost, lost_overflow)

    def _send_columns(self, columns: Any, lost: set[tuple[str, str]], lost_overflow: bool) -> bool:
        comm = self._ensure_comm()
        if comm is None:
            # Nobody listening right now: the points are gone for display; say so later.
            with self._lock:
                if not self._lost_overflow:
                    self._lost.update(lost)
                    self._lost.update(series_of(columns))
                    if len(self._lost) > MAX_LOST_SERIES or lost_overflow:
                        self._lost_overflow = True
                        self._lost.clear()
            return False
        total = len(columns)
        decimated = False
        if columns.estimated_bytes() > self.byte_budget:
            max_rows = max(4, (self.byte_budget - 4096) // wire.ROW_BYTES)
            columns = wire.decimate(columns, max_rows)
            decimated = True
        payload = wire.encode(columns)
        self.seq += 1
        data: dict[str, Any] = {
            "type": "points",
            "stream": TARGET_NAME,
            "seq": self.seq,
            "decimated": decimated,
            "points": len(columns),
        }
        if decimated:
            data["dropped_exact"] = total - len(columns)
        if lost or lost_overflow:
            data["lost"] = [list(s) for s in sorted(lost)]
            if lost_overflow:
                data["lost_all"] = True
        comm.send(data=data, buffers=[memoryview(payload)])
        self.messages_sent += 1
        return True

    def send_message(self, data: dict[str, Any]) -> bool:
        """A message without buffers on the stream's comm (opened if needed); False if none."""
        with self._comm_lock:
            if self._stopping:
                return False
            comm = self._ensure_comm()
            if comm is None:
                return False
            comm.send(data=data)
            return True

    # -- comm -----------------------------------------------------------------------

    def _ensure_comm(self) -> Any:
        comm = self._comm
        if comm is not None:
            return comm
        now = time.monotonic()
        if now < self._reopen_at:
            return None
        comm = self._comm_factory(
            target_name=TARGET_NAME,
            metadata={"version": PROTOCOL_VERSION},
            data={"type": "hello", "version": PROTOCOL_VERSION, "seq": self.seq + 1},
        )
        self._comm = comm
        self._comm_opened_at = now
        with contextlib.suppress(Exception):
            comm.on_close(lambda _msg, c=comm: self._on_close(c))
        return comm

    def _on_close(self, comm: Any) -> None:
        """The frontend closed the comm (no target there, page gone): reopen later."""
        if self._comm is not comm:
            return
        self._comm = None
        now = time.monotonic()
        if now - self._comm_opened_at >= _STABLE_COMM_SECONDS:
            self._reopen_attempt = 0
        self._reopen_at = now + _REOPEN.delay(self._reopen_attempt)
        self._reopen_attempt += 1

    @property
    def comm(self) -> Any:
        return self._comm


_stream: MetricStream | None = None
_stream_lock = threading.Lock()
_unsubscribe: Callable[[], None] | None = None
_sync_reporter: SyncReporter | None = None


def _listen() -> Subscribe:
    from ..mlflow_hook import listen

    return listen


def start_stream(
    *,
    subscribe: Subscribe | None = None,
    max_rate: float = DEFAULT_MAX_RATE,
    byte_budget: int = DEFAULT_BYTE_BUDGET,
    max_buffered: int = DEFAULT_MAX_BUFFERED,
    comm_factory: CommFactory | None = None,
) -> MetricStream | None:
    """Start the live stream (idempotent: a running stream is returned as is).

    ``subscribe`` defaults to :func:`trackside.kernel.mlflow_hook.listen`. Returns ``None``
    (after one warning) when the stream cannot start; never raises.
    """
    global _stream, _unsubscribe, _sync_reporter
    with _stream_lock:
        if _stream is not None:
            return _stream
        try:
            source = subscribe or _listen()
            stream = MetricStream(
                max_rate=max_rate,
                byte_budget=byte_budget,
                max_buffered=max_buffered,
                comm_factory=comm_factory,
            )
            stream.start()
            try:
                _unsubscribe = source(stream.feed)
            except Exception:
                stream.stop()
                raise
            _stream = stream
            _sync_reporter = SyncReporter(stream.send_message, TARGET_NAME)
            _sync_reporter.start()
            return stream
        except Exception as error:
            _warn_once("start", f"live metric stream not started: {error!r}")
            return None


def stop_stream(timeout: float = 2.0) -> None:
    """Unsubscribe, send what is left, close the comm (idempotent, never raises)."""
    global _stream, _unsubscribe, _sync_reporter
    with _stream_lock:
        stream, _stream = _stream, None
        unsubscribe, _unsubscribe = _unsubscribe, None
        reporter, _sync_reporter = _sync_reporter, None
    if reporter is not None:
        reporter.stop()
    try:
        if unsubscribe is not None:
            unsubscribe()
    except Exception as error:
        _warn_once("unsubscribe", f"live metric stream: unsubscribe failed ({error!r})")
    if stream is not None:
        try:
            stream.stop(timeout)
        except Exception as error:
            _warn_once("stop", f"live metric stream: stop failed ({error!r})")


def current_stream() -> MetricStream | None:
    """The running stream, if any."""
    return _stream
