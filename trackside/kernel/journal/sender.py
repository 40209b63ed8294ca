"""Sending journaled entries to MLflow: ``log-batch`` requests within MLflow's limits, retries.

- Requests: at most 1000 metrics, 100 params, 100 tags, 1000 entities and ~1 MB of JSON, one
  run each; entries keep their journal order per run and a run update (``set_terminated``,
  ``update_run``) goes after the run's earlier entries.
- Several requests in flight (``TRACKSIDE_SENDER_IN_FLIGHT``, 4 by default; a server with
  several workers takes them at once). Metric-only requests of a run may overtake each other
  (MLflow keeps a run's history by step and timestamp, and its latest value by comparison under
  a row lock); a request with params or tags, or a run update, waits for the run's earlier
  requests and holds back its later ones, so "last tag wins" and "updates after entries" hold.
- Transient failures (connection refused, timeouts, 408/429/5xx) are retried with jittered
  exponential backoff until shutdown. Other 4xx answers with an MLflow error body go to the
  dead-letter file with a one-line warning; later batches go on. A 4xx that is not from MLflow
  (wrong URL) keeps everything in the journal and is retried slowly, with one warning.
- The server must be the journal's own: before the first request, and again after any
  transient failure, its identity (``Transport.server_identity``) is compared with the
  ``server_id`` in ``owner.json`` (recorded there the first time). Another server on the same
  URI gets nothing; the journal waits (or, for a replay, is left alone).
- Acknowledged progress is a sequence number in the kernel journal's ``ack`` file, written when
  every request of a window of records is done; the ack is always a contiguous prefix of the
  journal, never past an unfinished request. Replays resend only what is after it. Resending is
  harmless: MLflow's SQL store skips a metric row identical in (key, timestamp, step, value,
  is_nan) — NaN included — and params with the same value; tags are upserts.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ...retry import Backoff
from .batches import MAX_METRICS, Batch, Request, plan, split_rejected
from .dead_letters import DeadLetters
from .records import AckFile, JournalReader, read_owner, segment_name, update_owner
from .settings import bounded_setting
from .transport import MisconfiguredError, RejectedError, SenderWarning, TransientError, Transport

READ_BYTES = 1024 * 1024
#: Retries of a transient failure: from 0.25 s, doubling, capped by ``backoff_cap``.
RETRY = Backoff(first=0.25, cap=30.0, jitter=0.5)
#: Each retry of the same request doubles the time it may take, from the transport's own
#: bound, up to this many times that bound: a server that does answer, only slowly (a busy
#: team server; a resent batch that MLflow then dedupes row by row, slower than the first
#: time) must not be abandoned and sent again for ever. Kept small because a partition that
#: drops packets (no reset) is noticed only when the request's time is up.
PATIENCE_GROWTH = 4.0
DEFAULT_IN_FLIGHT = 4
MAX_IN_FLIGHT = 32
#: Windows read ahead of the ack (each READ_BYTES of records), so that requests keep flowing
#: while the first window's last request is still on its way.
MAX_WINDOWS = 8
#: A live journal is read again at most this often (seconds) unless the last read found a full
#: request's worth: a trickle of points then goes in a few fuller requests instead of one tiny
#: request per answer, since a server pays a fixed cost per request (a team server shared by
#: many kernels most of all). Neither a replay (``final``) nor a flush (``hurry``) waits. The
#: live view does not wait for it either: it has its own stream.
LINGER = 0.25
_WAITING, _RUNNING, _DONE = 0, 1, 2


def default_in_flight() -> int:
    """``$TRACKSIDE_SENDER_IN_FLIGHT`` (1 to 32), else 4."""
    return int(bounded_setting("TRACKSIDE_SENDER_IN_FLIGHT", DEFAULT_IN_FLIGHT, 1, MAX_IN_FLIGHT))


def other_server_message(recorded: str, found: str, uri: str) -> str:
    return (
        f"belongs to another MLflow server than the one now at {uri}, left alone"
        f" (journal's server: {recorded}; now there: {found})"
    )


@dataclass
class Progress:
    sent: int = 0  # entries MLflow acknowledged
    dead: int = 0  # entries dead-lettered
    corrupt_bytes: int = 0
    last_error: str | None = None
    in_flight: int = 0  # requests on their way right now


class _Slot:
    __slots__ = ("barrier", "request", "state", "window")

    def __init__(self, request: Request, window: _Window) -> None:
        self.request = request
        self.window = window
        self.state = _WAITING
        # waits for the run's earlier requests and holds back its later ones
        self.barrier = not isinstance(request, Batch) or bool(request.params or request.tags)


class _Window:
    """The requests planned from one read of the journal; acked as a whole."""

    def __init__(self, end_seq: int, requests: list[Request]) -> None:
        self.end_seq = end_seq
        self.slots = [_Slot(r, self) for r in requests]
        self.done = 0
        self.first_open = 0  # slots before it are done


class BacklogSender:
    """Reads a kernel journal after its ack, sends it, records the ack. Not a thread itself:
    ``step()`` is called in a loop; requests run on up to ``in_flight`` daemon threads."""

    def __init__(
        self,
        kernel_journal: Path,
        transport: Transport,
        dead_letters: DeadLetters,
        stop: threading.Event,
        backoff_cap: float = 30.0,
        in_flight: int | None = None,
        wait_for_own_server: bool = True,
        check_server: bool = True,
    ) -> None:
        self.kernel_journal = kernel_journal
        self.transport = transport
        self.dead_letters = dead_letters
        self.stop = stop
        self.backoff_cap = backoff_cap
        self.in_flight = min(MAX_IN_FLIGHT, max(1, in_flight or default_in_flight()))
        self.ack = AckFile(kernel_journal)
        self.reader = JournalReader(kernel_journal, self.ack.value)
        self.progress = Progress()
        self.changed = threading.Condition()
        # identity of the server this journal belongs to (None: never reached one yet)
        recorded = read_owner(kernel_journal).get("server_id")
        self.server_id = recorded if isinstance(recorded, str) else None
        #: identity of the server found at the URI when it is not the journal's own
        self.foreign: str | None = None
        self._check_server = check_server
        self._wait_for_own_server = wait_for_own_server
        self._verified = not check_server
        self._verify_lock = threading.Lock()
        self._counts = threading.Lock()
        self._finished: list[tuple[int, int]] = []
        self._windows: deque[_Window] = deque()
        self._waiting = 0
        self._running = 0
        self._jobs: queue.SimpleQueue[tuple[_Slot, float | None] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[_Slot, bool, BaseException | None]] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._last_read = -LINGER
        self._caught_up = False  # the last read found less than a full request
        #: set by a caller waiting for everything logged so far: the next read does not linger
        self.hurry = threading.Event()
        self._warned_config = False
        #: told the user the server is away; again only after the journal drained
        self._warned_away = False

    def step(self, final: bool = False, deadline: float | None = None) -> bool:
        """Keep up to ``in_flight`` requests on their way and record what finished.

        Returns after at least one request finished (or 0.2 s passed); False if there was
        nothing to do. Requests cut short by ``stop`` or ``deadline`` stay for the next call.
        """
        self._read_ahead(final)
        if not self._windows:
            self._drop_segments()
            self._warned_away = False  # caught up: a later outage is news again
            return False
        if not self.stop.is_set() and (deadline is None or time.monotonic() < deadline):
            self._launch(deadline)
        self._collect(0.2 if self._running else 0.0)
        return True

    def idle(self) -> bool:
        """Nothing planned and not yet delivered."""
        return not self._windows

    # --- planning and scheduling --------------------------------------------------------------

    def _read_ahead(self, final: bool) -> None:
        if self.hurry.is_set():
            self.hurry.clear()  # the read below takes everything logged before it was set
        elif not final and self._caught_up and time.monotonic() - self._last_read < LINGER:
            return
        while self._waiting < self.in_flight and len(self._windows) < MAX_WINDOWS:
            batch = self.reader.read(READ_BYTES, final=final)
            self._last_read = time.monotonic()
            self._caught_up = len(batch.records) < MAX_METRICS
            self._finished.extend(batch.finished)
            self.progress.corrupt_bytes += batch.corrupt_bytes
            if not batch.records:
                return
            window = _Window(batch.records[-1][0], plan([entry for _, entry in batch.records]))
            self._windows.append(window)
            self._waiting += len(window.slots)
            if not window.slots:  # nothing to send (e.g. only repeated params): ack as is
                self._advance_ack()

    def _launch(self, deadline: float | None) -> None:
        # The earliest unfinished request of each run, in journal order: "barrier" blocks all
        # later requests of the run, "metrics" blocks only later barriers.
        unfinished: dict[str, bool] = {}  # run -> an unfinished barrier comes earlier
        for window in self._windows:
            slots = window.slots
            for index in range(window.first_open, len(slots)):
                if self._running >= self.in_flight:
                    return
                slot = slots[index]
                if slot.state == _DONE:
                    continue
                run_id = slot.request.run_id
                earlier = unfinished.get(run_id)
                if slot.state == _WAITING and (
                    earlier is None or (earlier is False and not slot.barrier)
                ):
                    self._start(slot, deadline)
                unfinished[run_id] = bool(earlier) or slot.barrier

    def _start(self, slot: _Slot, deadline: float | None) -> None:
        if len(self._threads) < self.in_flight and self._running >= len(self._threads):
            thread = threading.Thread(target=self._work, name="trackside-send", daemon=True)
            self._threads.append(thread)
            thread.start()
        slot.state = _RUNNING
        self._waiting -= 1
        self._running += 1
        self.progress.in_flight = self._running
        self._jobs.put((slot, deadline))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            slot, deadline = job
            try:
                self._results.put((slot, self._deliver(slot.request, deadline), None))
            except BaseException as error:  # reported by step() in the sender's own thread
                self._results.put((slot, False, error))

    def _collect(self, timeout: float) -> None:
        failure: BaseException | None = None
        block = timeout > 0
        while self._running:
            try:
                slot, delivered, error = self._results.get(block, timeout if block else None)
            except queue.Empty:
                break
            block = False  # then take whatever else is finished, without waiting
            self._running -= 1
            if delivered:
                slot.state = _DONE
                window = slot.window
                window.done += 1
                while (
                    window.first_open < len(window.slots)
                    and window.slots[window.first_open].state == _DONE
                ):
                    window.first_open += 1
            else:
                slot.state = _WAITING  # cut short (stop, deadline, error): sent again later
                self._waiting += 1
                failure = failure or error
        self.progress.in_flight = self._running
        self._advance_ack()
        if failure is not None:
            raise failure

    def _advance_ack(self) -> None:
        end = None
        while self._windows and self._windows[0].done == len(self._windows[0].slots):
            end = self._windows.popleft().end_seq
        if end is None:
            return
        with self.changed:
            try:
                self.ack.write(end)
            except OSError:
                # could not record progress (disk full): a replay resends, MLflow dedupes
                self.ack.value = end
            self.changed.notify_all()
        self._drop_segments()

    # --- one request --------------------------------------------------------------------------

    def _deliver(self, request: Request, deadline: float | None) -> bool:
        attempt = 0
        while True:
            cap = self.backoff_cap
            asked = 0.0  # the server's Retry-After
            try:
                if self._server_is_own():
                    self._send(request, self._patience(attempt))
                    return True
            except TransientError as error:
                # The server was away or struggling: when it answers again, make sure it is
                # the same server (another one may have taken its address meanwhile).
                self._verified = not self._check_server
                self.progress.last_error = str(error)
                asked = error.retry_after
                if isinstance(error, MisconfiguredError):
                    cap *= 4
                    if not self._warned_config:
                        self._warned_config = True
                        warnings.warn(f"trackside: {error}", SenderWarning, stacklevel=1)
                else:
                    # one warning per outage, not one per retry (the backlog shows the rest)
                    with self._counts:
                        tell, self._warned_away = not self._warned_away, True
                    if tell:
                        warnings.warn(
                            f"trackside: MLflow does not answer ({error}); what you log is"
                            " kept in the journal and sent when it is back",
                            SenderWarning,
                            stacklevel=1,
                        )
            pause = max(RETRY.delay(attempt, cap=cap), asked)
            attempt += 1
            if deadline is not None:
                pause = min(pause, deadline - time.monotonic())
                if pause <= 0:
                    return False
            if self.stop.wait(pause):
                return False

    def _server_is_own(self) -> bool:
        """True when the server at the URI is the journal's own, or cannot be told apart."""
        if self._verified:
            return True
        with self._verify_lock:
            if self._verified:
                return True
            found = self.transport.server_identity()
            if found is not None and self.server_id is not None and found != self.server_id:
                self.foreign = found
                self.progress.last_error = other_server_message(
                    self.server_id, found, getattr(self.transport, "tracking_uri", "?")
                )
                if not self._wait_for_own_server:
                    self.stop.set()  # a replay: leave this journal alone
                return False
            if found is not None and self.server_id is None:
                self.server_id = found
                with contextlib.suppress(OSError):  # unrecorded, a replay cannot check
                    update_owner(self.kernel_journal, server_id=found)
            self.foreign = None
            self._verified = True
            return True

    def _patience(self, attempt: int) -> float | None:
        """How long try number ``attempt`` (from 0) of a request may take; None: the
        transport's own bound."""
        base = getattr(self.transport, "timeout", None)
        if not isinstance(base, (int, float)) or attempt == 0:
            return None
        return Backoff(first=base, cap=base * PATIENCE_GROWTH).delay(attempt)

    def _send(self, request: Request, timeout: float | None = None) -> None:
        try:
            if isinstance(request, Batch):
                self.transport.log_batch(request, timeout)
                with self._counts:
                    self.progress.sent += request.count()
            else:
                self.transport.update_run(request, timeout)
                with self._counts:
                    self.progress.sent += 1
        except RejectedError as error:
            parts = split_rejected(request)
            if not parts:
                with self._counts:
                    self.dead_letters.add(request, error)
                    self.progress.dead += request.count() if isinstance(request, Batch) else 1
                return
            # A param conflict must not take valid metrics down with it: retry in parts.
            for part in parts:
                self._send(part, timeout)

    def _drop_segments(self) -> None:
        keep = []
        for number, last_seq in self._finished:
            if last_seq <= self.ack.value:
                with contextlib.suppress(FileNotFoundError):
                    (self.kernel_journal / segment_name(number)).unlink()
            else:
                keep.append((number, last_seq))
        self._finished = keep

    def wait_in_flight(self, timeout: float) -> None:
        """Let requests on their way finish (and be acked) for at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                self._collect(min(0.2, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)  # each worker ends after its current request
        self.reader.close()
        self.ack.close()


class SenderThread(threading.Thread):
    """Background thread of a live kernel journal: keeps pumping until stopped."""

    def __init__(self, backlog: BacklogSender, idle: float = 0.05) -> None:
        super().__init__(name="trackside-sender", daemon=True)
        self.backlog = backlog
        self.idle = idle
        self.wake = threading.Event()

    def run(self) -> None:
        stop = self.backlog.stop
        while not stop.is_set():
            try:
                busy = self.backlog.step()
            except Exception as error:  # never die silently: report, back off, go on
                self.backlog.progress.last_error = repr(error)
                warnings.warn(f"trackside: sender error: {error!r}", SenderWarning, stacklevel=1)
                busy = False
                stop.wait(1.0)
            if not busy:
                self.wake.wait(self.idle)
                self.wake.clear()
