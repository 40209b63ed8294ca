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
import json
import math
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..journal.records import (
    AckFile,
    Entry,
    JournalReader,
    Metric,
    Param,
    RunUpdate,
    Tag,
    segment_name,
)

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ENTITIES = 1000
MAX_BODY = 900_000  # below MLflow's 1 MB request limit, with room for the envelope
READ_BYTES = 1024 * 1024
LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"
UPDATE_RUN = "/api/2.0/mlflow/runs/update"
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class SenderWarning(UserWarning):
    """Entries MLflow rejected (dead-lettered) or a tracking URI that is not MLflow."""


class TransientError(Exception):
    """Worth retrying: the server may take it later."""


class MisconfiguredError(TransientError):
    """Not an MLflow server at that URI (or not reachable as one): keep data, retry slowly."""


class RejectedError(Exception):
    """MLflow answered with a non-retryable error for this request."""

    def __init__(self, message: str, status: int | None, error_code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


# --- requests ------------------------------------------------------------------------------


@dataclass
class Batch:
    """One ``log-batch`` request for one run."""

    run_id: str
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    size: int = 0

    def count(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)

    def body(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "metrics": [_metric_json(m) for m in self.metrics],
            "params": [{"key": p.key, "value": p.value} for p in self.params],
            "tags": [{"key": t.key, "value": t.value} for t in self.tags],
        }


Request = Batch | RunUpdate


def _number(value: float) -> float | str:
    # Proto JSON for doubles: NaN and infinities are strings, the rest plain numbers
    # (Python's repr round-trips exactly).
    if math.isfinite(value):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _metric_json(m: Metric) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": m.key,
        "value": _number(m.value),
        "timestamp": m.timestamp,
        "step": m.step,
    }
    if m.model_id is not None:
        out["model_id"] = m.model_id
    if m.dataset_name is not None:
        out["dataset_name"] = m.dataset_name
        out["dataset_digest"] = m.dataset_digest
    return out


def _json_size(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode())


def plan(entries: Sequence[Entry]) -> list[Request]:
    """Split entries (journal order) into requests within MLflow's limits, order kept per run."""
    out: list[Request] = []
    pending: dict[str, Batch] = {}

    def emit(run_id: str) -> Batch:
        batch = pending.pop(run_id, None)
        if batch is not None and batch.count():
            out.append(batch)
        fresh = Batch(run_id)
        pending[run_id] = fresh
        return fresh

    for entry in entries:
        run_id = entry.run_id
        batch = pending.get(run_id) or emit(run_id)
        kind = type(entry)
        if kind is Metric:
            size = _json_size(entry.key) + 90 + (len(entry.model_id or "") + 20) * 3
            if (
                len(batch.metrics) >= MAX_METRICS
                or batch.count() >= MAX_ENTITIES
                or batch.size + size > MAX_BODY
            ):
                batch = emit(run_id)
            batch.metrics.append(entry)
        elif kind is Param:
            size = _json_size(entry.key) + _json_size(entry.value) + 20
            same = [p for p in batch.params if p.key == entry.key]
            if same and same[0].value == entry.value:
                continue  # MLflow accepts a repeat; one request must not hold a key twice
            if (
                same
                or len(batch.params) >= MAX_PARAMS
                or batch.count() >= MAX_ENTITIES
                or batch.size + size > MAX_BODY
            ):
                batch = emit(run_id)
            batch.params.append(entry)
        elif kind is Tag:
            size = _json_size(entry.key) + _json_size(entry.value) + 20
            if (
                any(t.key == entry.key for t in batch.tags)  # keep "last one wins"
                or len(batch.tags) >= MAX_TAGS
                or batch.count() >= MAX_ENTITIES
                or batch.size + size > MAX_BODY
            ):
                batch = emit(run_id)
            batch.tags.append(entry)
        else:  # RunUpdate: after everything logged before it for that run
            emit(run_id)
            out.append(entry)
            continue
        batch.size += size
    for run_id in list(pending):
        batch = pending.pop(run_id)
        if batch.count():
            out.append(batch)
    return out


# --- transports ----------------------------------------------------------------------------


def mlflow_entities(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[Tag]
) -> tuple[list[Any], list[Any], list[Any]]:
    """Journal entries as MLflow's own entities, for its client and stores."""
    from mlflow.entities import Metric as MlflowMetric
    from mlflow.entities import Param as MlflowParam
    from mlflow.entities import RunTag

    return (
        [
            MlflowMetric(
                m.key,
                m.value,
                m.timestamp,
                m.step,
                model_id=m.model_id,
                dataset_name=m.dataset_name,
                dataset_digest=m.dataset_digest,
            )
            for m in metrics
        ],
        [MlflowParam(p.key, p.value) for p in params],
        [RunTag(t.key, t.value) for t in tags],
    )


class Transport(Protocol):
    def log_batch(self, batch: Batch) -> None: ...

    def fetch_params(self, run_id: str) -> dict[str, str] | None: ...

    def update_run(self, update: RunUpdate) -> None: ...


class RestTransport:
    """MLflow's own REST client layer (host credentials, auth, TLS) with our retry policy."""

    def __init__(self, tracking_uri: str, timeout: float = 15.0) -> None:
        from mlflow.store.tracking.rest_store import RestStore
        from mlflow.tracking._tracking_service.utils import _get_store

        store = _get_store(tracking_uri)
        if not isinstance(store, RestStore):
            raise TypeError(f"{tracking_uri} is not served over REST")
        self.tracking_uri = tracking_uri
        self._creds = store.get_host_creds
        self.timeout = timeout

    def log_batch(self, batch: Batch) -> None:
        self._post(LOG_BATCH, batch.body())

    def update_run(self, update: RunUpdate) -> None:
        body: dict[str, Any] = {"run_id": update.run_id, "run_uuid": update.run_id}
        if update.status is not None:
            body["status"] = update.status
        if update.end_time is not None:
            body["end_time"] = update.end_time
        if update.name is not None:
            body["run_name"] = update.name
        self._post(UPDATE_RUN, body)

    def fetch_params(self, run_id: str) -> dict[str, str] | None:
        """The run's params, with one short request (no MLflow retry loop); None on failure."""
        from mlflow.utils.rest_utils import http_request

        try:
            response = http_request(
                self._creds(),
                "/api/2.0/mlflow/runs/get",
                "GET",
                max_retries=0,
                timeout=5,
                raise_on_status=False,
                params={"run_id": run_id},
            )
            if response.status_code != 200:
                return None
            params = response.json()["run"]["data"].get("params", [])
            return {p["key"]: p.get("value", "") for p in params}
        except Exception:
            return None

    def _post(self, endpoint: str, body: dict[str, Any]) -> None:
        from mlflow.exceptions import MlflowException
        from mlflow.utils.rest_utils import http_request

        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        try:
            response = http_request(
                self._creds(),
                endpoint,
                "POST",
                max_retries=0,
                backoff_factor=0,
                backoff_jitter=0,
                timeout=self.timeout,
                raise_on_status=False,
                data=data,
                extra_headers={"Content-Type": "application/json"},
            )
        except MlflowException as error:  # connection refused, timeout, DNS, TLS ...
            raise TransientError(str(error)) from error
        status = response.status_code
        if status == 200:
            return
        if status in TRANSIENT_STATUS or status >= 500:
            raise TransientError(f"HTTP {status} from {endpoint}")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or "error_code" not in payload:
            raise MisconfiguredError(
                f"{self.tracking_uri} answered {endpoint} with HTTP {status} and no MLflow error"
                " body: is it an MLflow tracking server?"
            )
        raise RejectedError(
            f"{payload.get('error_code')}: {payload.get('message', '')}",
            status,
            str(payload.get("error_code")),
        )


class StoreTransport:
    """Non-REST tracking URIs (``sqlite:///``, a database): MLflow's own store object."""

    def __init__(self, tracking_uri: str) -> None:
        from mlflow.tracking._tracking_service.utils import _get_store

        self.tracking_uri = tracking_uri
        self._store = _get_store(tracking_uri)

    def log_batch(self, batch: Batch) -> None:
        metrics, params, tags = mlflow_entities(batch.metrics, batch.params, batch.tags)
        self._call(lambda: self._store.log_batch(batch.run_id, metrics, params, tags))

    def fetch_params(self, run_id: str) -> dict[str, str] | None:
        try:
            return dict(self._store.get_run(run_id).data.params)
        except Exception:
            return None

    def update_run(self, update: RunUpdate) -> None:
        from mlflow.entities import RunStatus

        run = self._store.get_run(update.run_id)
        status = RunStatus.from_string(update.status or run.info.status)
        end_time = update.end_time if update.end_time is not None else run.info.end_time
        self._call(
            lambda: self._store.update_run_info(update.run_id, status, end_time, update.name)
        )

    @staticmethod
    def _call(action: Callable[[], object]) -> None:
        from mlflow.exceptions import MlflowException

        try:
            action()
        except MlflowException as error:
            if error.error_code in {"INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE"}:
                raise TransientError(str(error)) from error
            raise RejectedError(str(error), None, error.error_code) from error
        except Exception as error:  # database locked, I/O ...
            raise TransientError(repr(error)) from error


def make_transport(tracking_uri: str) -> Transport:
    from mlflow.utils.uri import is_http_uri

    if is_http_uri(tracking_uri) or tracking_uri.startswith("databricks"):
        return RestTransport(tracking_uri)
    return StoreTransport(tracking_uri)


# --- dead letters --------------------------------------------------------------------------


class DeadLetters:
    """JSON lines (one request each, with the error) appended to a shared file."""

    def __init__(self, path: Path, journal_name: str, tracking_uri: str) -> None:
        self.path = path
        self.journal_name = journal_name
        self.tracking_uri = tracking_uri
        self.count = 0

    def add(self, request: Request, error: RejectedError) -> None:
        if isinstance(request, Batch):
            body: dict[str, Any] = {"kind": "log-batch", **request.body()}
            entries = request.count()
        else:
            body = {"kind": "update-run", **request._asdict()}
            entries = 1
        line = {
            "time_ms": int(time.time() * 1000),
            "journal": self.journal_name,
            "tracking_uri": self.tracking_uri,
            "http_status": error.status,
            "error_code": error.error_code,
            "error": str(error),
            **body,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)  # one write: lines from several kernels do not interleave
        finally:
            os.close(fd)
        self.count += entries
        warnings.warn(
            f"trackside: MLflow rejected {entries} entries for run {request.run_id} ({error});"
            f" they were saved to {self.path}",
            SenderWarning,
            stacklevel=1,
        )


# --- pumping the journal -------------------------------------------------------------------


@dataclass
class Progress:
    sent: int = 0  # entries MLflow acknowledged
    dead: int = 0  # entries dead-lettered
    corrupt_bytes: int = 0
    last_error: str | None = None


class Pump:
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
                pause = min(cap, 0.25 * 2**attempt) * random.uniform(0.5, 1.5)
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
            parts = _split(request)
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


def _split(request: Request) -> list[Batch]:
    """Smaller requests to isolate the entry MLflow rejected (params are the usual cause)."""
    if not isinstance(request, Batch) or not request.params:
        return []
    if request.metrics or request.tags:
        return [
            Batch(request.run_id, metrics=request.metrics, tags=request.tags),
            Batch(request.run_id, params=request.params),
        ]
    if len(request.params) > 1:
        return [Batch(request.run_id, params=[p]) for p in request.params]
    return []


class Sender(threading.Thread):
    """Background thread of a live kernel journal: keeps pumping until stopped."""

    def __init__(self, pump: Pump, idle: float = 0.05) -> None:
        super().__init__(name="trackside-sender", daemon=True)
        self.pump = pump
        self.idle = idle
        self.wake = threading.Event()

    def run(self) -> None:
        stop = self.pump.stop
        while not stop.is_set():
            try:
                busy = self.pump.step()
            except Exception as error:  # never die silently: report, back off, go on
                self.pump.progress.last_error = repr(error)
                warnings.warn(f"trackside: sender error: {error!r}", SenderWarning, stacklevel=1)
                busy = False
                stop.wait(1.0)
            if not busy:
                self.wake.wait(self.idle)
                self.wake.clear()
