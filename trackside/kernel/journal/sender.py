"""Sending journaled entries to MLflow: ``log-batch`` requests within MLflow's limits, retries.

- Requests: at most 1000 metrics, 100 params, 100 tags, 1000 entities and ~1 MB of JSON, one
  run each; entries keep their journal order per run and a run update (``set_terminated``,
  ``update_run``) goes after the run's earlier entries.
- Transient failures (connection refused, timeouts, 408/429/5xx) are retried with jittered
  exponential backoff until shutdown. Other 4xx answers with an MLflow error body go to the
  dead-letter file with a one-line warning; later batches go on. A 4xx that is not from MLflow
  (wrong URL) keeps everything in the journal and is retried slowly, with one warning.
- Acknowledged progress is a sequence number in the kernel journal's ``ack`` file, written after
  each window of records; replays resend only what is after it. Resending is harmless: MLflow's
  SQL store skips a metric row identical in (key, timestamp, step, value, is_nan) — NaN included
  — and params with the same value; tags are upserts.
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ...retry import Backoff
from .batches import Batch, Request, plan, split_rejected
from .dead_letters import DeadLetters
from .records import AckFile, JournalReader, segment_name
from .transport import MisconfiguredError, RejectedError, SenderWarning, TransientError, Transport

READ_BYTES = 1024 * 1024
#: Retries of a transient failure: from 0.25 s, doubling, capped by ``backoff_cap``.
RETRY = Backoff(first=0.25, cap=30.0, jitter=0.5)


@dataclass
class Progress:
    sent: int = 0  # entries MLflow acknowledged
    dead: int = 0  # entries dead-lettered
    corrupt_bytes: int = 0
    last_error: str | None = None


class BacklogSender:
    """Reads a kernel journal after its ack, sends it, records the ack. Not a thread."""

    def __init__(
        self,
        kernel_journal: Path,
        transport: Transport,
        dead_letters: DeadLetters,
        stop: threading.Event,
        backoff_cap: float = 30.0,
    ) -> None:
        self.kernel_journal = kernel_journal
        self.transport = transport
        self.dead_letters = dead_letters
        self.stop = stop
        self.backoff_cap = backoff_cap
        self.ack = AckFile(kernel_journal)
        self.reader = JournalReader(kernel_journal, self.ack.value)
        self.progress = Progress()
        self.changed = threading.Condition()
        self._finished: list[tuple[int, int]] = []
        self._queue: list[Request] = []
        self._window_end = 0
        self._warned_config = False

    def step(self, final: bool = False, deadline: float | None = None) -> bool:
        """Send one window of records; False if there was nothing to do.

        Returns early (the rest of the window kept for the next call) if stopped or past
        ``deadline``.
        """
        if not self._queue:
            batch = self.reader.read(READ_BYTES, final=final)
            self._finished.extend(batch.finished)
            self.progress.corrupt_bytes += batch.corrupt_bytes
            if not batch.records:
                self._drop_segments()
                return False
            self._queue = plan([entry for _, entry in batch.records])
            self._queue.reverse()  # pop() from the end = journal order
            self._window_end = batch.records[-1][0]
        while self._queue:
            if not self._deliver(self._queue[-1], deadline):
                return True
            self._queue.pop()
        with self.changed:
            try:
                self.ack.write(self._window_end)
            except OSError:
                # could not record progress (disk full): a replay resends, MLflow dedupes
                self.ack.value = self._window_end
            self.changed.notify_all()
        self._drop_segments()
        return True

    def idle(self) -> bool:
        """Nothing planned and not yet delivered."""
        return not self._queue

    def _deliver(self, request: Request, deadline: float | None) -> bool:
        attempt = 0
        while True:
            try:
                self._send(request)
                return True
            except TransientError as error:
                self.progress.last_error = str(error)
                if isinstance(error, MisconfiguredError) and not self._warned_config:
                    self._warned_config = True
                    warnings.warn(f"trackside: {error}", SenderWarning, stacklevel=1)
                cap = self.backoff_cap * (4 if isinstance(error, MisconfiguredError) else 1)
                pause = RETRY.delay(attempt, cap=cap)
                attempt += 1
                if deadline is not None:
                    pause = min(pause, deadline - time.monotonic())
                    if pause <= 0:
                        return False
                if self.stop.wait(pause):
                    return False

    def _send(self, request: Request) -> None:
        try:
            if isinstance(request, Batch):
                self.transport.log_batch(request)
                self.progress.sent += request.count()
            else:
                self.transport.update_run(request)
                self.progress.sent += 1
        except RejectedError as error:
            parts = split_rejected(request)
            if not parts:
                self.dead_letters.add(request, error)
                self.progress.dead += request.count() if isinstance(request, Batch) else 1
                return
            # A param conflict must not take valid metrics down with it: retry in parts.
            for part in parts:
                self._send(part)

    def _drop_segments(self) -> None:
        keep = []
        for number, last_seq in self._finished:
            if last_seq <= self.ack.value:
                with contextlib.suppress(FileNotFoundError):
                    (self.kernel_journal / segment_name(number)).unlink()
            else:
                keep.append((number, last_seq))
        self._finished = keep

    def close(self) -> None:
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
