# Over 400 lines on purpose: one class, the durable front, whose methods mirror MlflowClient's
# logging calls one for one (splitting it would scatter one contract over several files).
"""Durable logging: MLflow calls validated at the call, journaled, sent in the background.

``DurableLogging.install()`` makes the hook (:mod:`trackside.kernel.mlflow_hook`) hand every
``MlflowClient`` logging call aimed at its tracking URI to this object: the call is validated
with MLflow's own validators, copied into the journal (``records.py``, a memory-mapped file) and
returns; a background sender (``sender.py``) sends ``log-batch`` requests and records what
MLflow acknowledged. Whatever a dead kernel left unacknowledged is sent by ``replay_orphans``
(``%load_ext trackside``) or ``trackside sync`` (``replay.py``).

If the journal cannot be written (disk full, file too large, directory not writable), calls are
sent synchronously with MLflow's own client instead (one warning), and journaling is tried
again every 30 s.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import shutil
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import Run
from mlflow.entities import RunTag as MlflowRunTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ErrorCode
from mlflow.tracking.fluent import get_active_model_id
from mlflow.utils.validation import PARAM_VALIDATION_MSG

from .. import fast_path, mlflow_hook, process
from .dead_letters import DeadLetters
from .records import (
    Entry,
    JournalWriteError,
    JournalWriter,
    Metric,
    Param,
    RunUpdate,
    Tag,
    try_lock,
    unlock,
)
from .replay import ReplayReport, default_journal_dir, replay_orphans
from .sender import BacklogSender, SenderThread
from .transport import make_transport, mlflow_entities
from .validation import CallValidator, with_kept_note

__all__ = [
    "DurableLogging",
    "DurableWarning",
    "ReplayReport",
    "active",
    "default_journal_dir",
    "replay_orphans",
]

FALLBACK_RETRY_SECONDS = 30.0


class DurableWarning(UserWarning):
    """The journal could not be written; logging went synchronous."""


_active: DurableLogging | None = None
_active_lock = threading.Lock()


def active() -> DurableLogging | None:
    """The installed ``DurableLogging`` of this process, if any."""
    return _active


class DurableLogging:
    def __init__(
        self,
        tracking_uri: str | None = None,
        journal_dir: Path | None = None,
        flush_timeout: float = 5.0,
    ) -> None:
        self._requested_uri = tracking_uri
        self.tracking_uri = tracking_uri or ""
        self.journal_dir = Path(journal_dir) if journal_dir else default_journal_dir()
        self.flush_timeout = flush_timeout
        self.journal_name = ""
        self._kernel_journal: Path | None = None
        self._lock_fd: int | None = None
        self._writer: JournalWriter | None = None
        self._backlog_sender: BacklogSender | None = None
        self._sender: SenderThread | None = None
        self._validator: CallValidator | None = None
        self._client: Any = None
        self._fallback_until = 0.0
        self._warned_fallback = False
        self._installed = False
        self._install_lock = threading.Lock()
        self._owner_pid = process.pid

    # --- public API -----------------------------------------------------------------------

    @property
    def journal_path(self) -> Path:
        """This kernel journal's directory (segments, ack, owner.json, lock)."""
        return self._kernel_journal or self.journal_dir

    @property
    def dead_letter_path(self) -> Path:
        return self.journal_dir / "dead-letter.jsonl"

    def install(self) -> None:
        """Hook MLflow and start the background sender; idempotent."""
        global _active
        import mlflow
        from mlflow.tracking import MlflowClient

        with self._install_lock, _active_lock:
            if self._installed:
                return
            if _active is not None:
                raise RuntimeError("trackside: durable logging is already installed")
            self.tracking_uri = self._requested_uri or mlflow.get_tracking_uri()
            self._client = MlflowClient(self.tracking_uri)
            transport = make_transport(self.tracking_uri)
            self._validator = CallValidator(transport.fetch_params)
            try:
                self._open_kernel_journal()
            except OSError as error:
                self._start_fallback(error)
            if self._kernel_journal is not None and self._writer is not None:
                self._backlog_sender = BacklogSender(
                    self._kernel_journal,
                    transport,
                    DeadLetters(self.dead_letter_path, self.journal_name, self.tracking_uri),
                    threading.Event(),
                )
                self._sender = SenderThread(self._backlog_sender)
                self._sender.start()
            mlflow_hook.acquire()
            mlflow_hook.set_sink(self)
            fast_path.install()
            _active = self
            self._installed = True
            atexit.register(self._at_exit)

    def uninstall(self, timeout: float | None = None) -> bool:
        """Flush for at most ``timeout`` s, stop, unhook. True if MLflow acknowledged all."""
        global _active
        with self._install_lock:
            if not self._installed:
                return self.backlog() == 0
            forked_copy = process.pid != self._owner_pid
            # A forked child (its exit runs the atexit handler it inherited) only unhooks: the
            # journal, its files and its lock (an flock, shared with the parent) stay the
            # parent's, and its own calls went to MLflow synchronously (records.JournalWriter).
            ok = forked_copy or self.flush(self.flush_timeout if timeout is None else timeout)
            with _active_lock:
                fast_path.uninstall()
                mlflow_hook.set_sink(None)
                mlflow_hook.release()
                if _active is self:
                    _active = None
            self._installed = False
            with contextlib.suppress(Exception):
                atexit.unregister(self._at_exit)
            if forked_copy:
                return True
            if self._sender is not None and self._backlog_sender is not None:
                self._backlog_sender.stop.set()
                self._sender.wake.set()
                self._sender.join(timeout=2.0)
            backlog = self.backlog()
            if self._writer is not None:
                self._writer.close()
            if self._backlog_sender is not None and not (self._sender and self._sender.is_alive()):
                self._backlog_sender.close()
            if backlog == 0 and self._kernel_journal is not None:
                shutil.rmtree(self._kernel_journal, ignore_errors=True)
            if self._lock_fd is not None:
                unlock(self._lock_fd)  # from here on, what is left is an orphan to replay
                self._lock_fd = None
            return ok and backlog == 0

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until MLflow acknowledged everything journaled so far."""
        if self._writer is None or self._backlog_sender is None:
            return True
        target = self._writer.next_seq - 1
        deadline = time.monotonic() + max(0.0, timeout)
        backlog = self._backlog_sender
        backlog.hurry.set()
        if self._sender is not None:
            self._sender.wake.set()
        with backlog.changed:
            while backlog.ack.value < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._sender is None or not self._sender.is_alive():
                    break
                backlog.changed.wait(min(left, 0.1))
            return backlog.ack.value >= target

    def backlog(self) -> int:
        """Journal entries not yet acknowledged by MLflow."""
        if self._writer is None or self._backlog_sender is None:
            return 0
        return max(0, self._writer.next_seq - 1 - self._backlog_sender.ack.value)

    def status(self) -> dict[str, Any]:
        """For ``%mlflow status``."""
        progress = self._backlog_sender.progress if self._backlog_sender else None
        return {
            "tracking_uri": self.tracking_uri,
            "journal": str(self.journal_path),
            "backlog": self.backlog(),
            "sent": progress.sent if progress else 0,
            "dead_lettered": progress.dead if progress else 0,
            "last_error": progress.last_error if progress else None,
            "synchronous_fallback": self._fallback_until > 0,
            "in_flight": progress.in_flight if progress else 0,
        }

    # --- the hook's sink ------------------------------------------------------------------

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: Any,
        timestamp: int,
        step: int,
        model_id: str | None,
        dataset_name: str | None,
        dataset_digest: str | None,
    ) -> Metric:
        assert self._validator is not None
        entry = self._validator.metric(
            run_id, key, value, timestamp, step, model_id, dataset_name, dataset_digest
        )
        writer = self._writer
        if writer is not None and not self._fallback_until:
            try:
                writer.append((entry,))
                return entry
            except JournalWriteError as error:
                self._start_fallback(error)
        self._submit_slow((entry,))
        return entry

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MlflowMetric],
        params: Sequence[MlflowParam],
        tags: Sequence[MlflowRunTag],
    ) -> list[Metric]:
        assert self._validator is not None
        validator = self._validator
        kept: list[Metric] = []
        error: MlflowException | None = None
        active_model: str | None = None
        for m in metrics:
            model_id = m.model_id
            if model_id is None:
                active_model = active_model or get_active_model_id() or ""
                model_id = active_model or None
            try:
                kept.append(
                    validator.metric(
                        run_id,
                        m.key,
                        m.value,
                        m.timestamp,
                        m.step,
                        model_id,
                        m.dataset_name,
                        m.dataset_digest,
                    )
                )
            except MlflowException as e:
                error = error or e
        new_params, param_error = validator.params(run_id, [(p.key, p.value) for p in params])
        new_tags, tag_error = validator.tags(run_id, [(t.key, t.value) for t in tags])
        entries: list[Entry] = [*new_params, *kept, *new_tags]
        if entries:
            self._submit(entries)
        error = error or param_error or tag_error
        if error is not None:
            raise with_kept_note(error, len(entries))
        return kept

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        assert self._validator is not None
        params, error = self._validator.params(run_id, [(key, value)], single=True)
        if params:
            self._submit(params)
        if error is not None:
            # what MlflowClient.log_param adds to MLflow's message
            raise MlflowException(
                f"{error.message}{PARAM_VALIDATION_MSG}", ErrorCode.Value(error.error_code)
            )

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        assert self._validator is not None
        tags, error = self._validator.tags(run_id, [(key, value)])
        if tags:
            self._submit(tags)
        if error is not None:
            raise error

    def update_run(
        self, run_id: str, status: str | None, end_time: int | None, name: str | None
    ) -> None:
        assert self._validator is not None
        self._submit([self._validator.run_update(run_id, status, end_time, name)])

    def known_params(self, run_id: str) -> set[str] | None:
        """Param keys of a run this process created or fetched (it sees every explicit
        call for it); ``None`` when it does not know the run."""
        validator = self._validator
        return validator.known_params(run_id) if validator is not None else None

    def observe_run(self, run: Run, created: bool) -> None:
        if self._validator is not None:
            self._validator.run_created(run.info.run_id, None if created else dict(run.data.params))

    # --- internals ------------------------------------------------------------------------

    def _submit(self, entries: Sequence[Entry]) -> None:
        writer = self._writer
        if writer is not None and (
            not self._fallback_until or time.monotonic() >= self._fallback_until
        ):
            try:
                writer.append(entries)
            except JournalWriteError as error:
                self._start_fallback(error)
            else:
                self._fallback_until = 0.0
                self._commit(entries)
                return
        self._submit_slow(entries)

    def _submit_slow(self, entries: Sequence[Entry]) -> None:
        if self._writer is not None and time.monotonic() >= self._fallback_until:
            try:  # the disk may have room again
                self._writer.append(entries)
            except JournalWriteError:
                self._fallback_until = time.monotonic() + FALLBACK_RETRY_SECONDS
            else:
                self._fallback_until = 0.0
                self._commit(entries)
                return
        self._send_now(entries)
        self._commit(entries)

    def _commit(self, entries: Sequence[Entry]) -> None:
        assert self._validator is not None
        params = [e for e in entries if type(e) is Param]
        if params:
            self._validator.commit_params(params)

    def _send_now(self, entries: Sequence[Entry]) -> None:
        """Synchronously, with MLflow's own (unhooked) client; MLflow's errors reach the user."""
        log_batch = mlflow_hook.original("log_batch")
        for (run_id, is_update), group in itertools.groupby(
            entries, key=lambda e: (e.run_id, type(e) is RunUpdate)
        ):
            items = list(group)
            if is_update:
                for update in items:
                    assert isinstance(update, RunUpdate)
                    if update.end_time is not None:
                        mlflow_hook.original("set_terminated")(
                            self._client, run_id, update.status, update.end_time
                        )
                    else:
                        mlflow_hook.original("update_run")(
                            self._client, run_id, update.status, update.name
                        )
                continue
            metrics, params, tags = mlflow_entities(
                [m for m in items if type(m) is Metric],
                [p for p in items if type(p) is Param],
                [t for t in items if type(t) is Tag],
            )
            log_batch(self._client, run_id, metrics, params, tags, synchronous=True)

    def _start_fallback(self, error: OSError) -> None:
        self._fallback_until = time.monotonic() + FALLBACK_RETRY_SECONDS
        if not self._warned_fallback:
            self._warned_fallback = True
            warnings.warn(
                f"trackside: cannot write the MLflow journal in {self.journal_dir} ({error});"
                " logging synchronously to MLflow until the journal can be written again",
                DurableWarning,
                stacklevel=4,
            )

    def _open_kernel_journal(self) -> None:
        # Build the kernel journal under a dot-name and rename it when locked, so that a replayer
        # never sees (and adopts) a kernel journal whose owner is still starting.
        self.journal_dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        building = self.journal_dir / f".{name}"
        building.mkdir(mode=0o700)
        lock_fd = try_lock(building)
        if lock_fd is None:
            raise OSError(f"cannot lock {building}")
        try:
            owner = {
                "pid": os.getpid(),
                "start_time": _process_start_time(),
                "host": socket.gethostname(),
                "tracking_uri": self.tracking_uri,
                "created_ms": int(time.time() * 1000),
                "format": 1,
            }
            (building / "owner.json").write_text(json.dumps(owner))
            final = self.journal_dir / name
            building.rename(final)
        except OSError:
            unlock(lock_fd)
            shutil.rmtree(building, ignore_errors=True)
            raise
        self.journal_name = name
        self._kernel_journal = final
        self._lock_fd = lock_fd
        self._writer = JournalWriter(final)

    def _at_exit(self) -> None:
        # MLflow's own atexit end_run runs after ours (registered earlier): end the run now so
        # the termination is journaled after the run's entries.
        with contextlib.suppress(Exception):
            import mlflow

            while mlflow.active_run() is not None:
                mlflow.end_run()
        with contextlib.suppress(Exception):
            self.uninstall(self.flush_timeout)


def _process_start_time() -> float | None:
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:
        return None
