"""How journaled requests reach MLflow: its REST client layer, or its store for non-HTTP URIs.

A transport raises :class:`TransientError` for what is worth retrying (connection refused,
timeouts, 408/429/5xx, an answer not complete within the request's overall deadline),
:class:`MisconfiguredError` for a URI that does not answer as MLflow and
:class:`RejectedError` for MLflow's own refusals.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .batches import Batch
from .records import Metric, Param, RunUpdate, Tag
from .settings import bounded_setting

LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"
UPDATE_RUN = "/api/2.0/mlflow/runs/update"
GET_EXPERIMENT = "/api/2.0/mlflow/experiments/get"
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
#: a longer Retry-After is taken as this long (a server asking for hours is likely misconfigured)
MAX_RETRY_AFTER = 300.0
READ_CHUNK = 64 * 1024
#: How long one request may take, unless ``$TRACKSIDE_SENDER_TIMEOUT`` says otherwise (a retry
#: of it gets more: see the sender's patience).
DEFAULT_TIMEOUT_S = 15.0
TIMEOUT_RANGE_S = (1.0, 600.0)


def default_timeout() -> float:
    """``$TRACKSIDE_SENDER_TIMEOUT`` in seconds (1 to 600; a slow shared server may want more),
    else 15."""
    return bounded_setting("TRACKSIDE_SENDER_TIMEOUT", DEFAULT_TIMEOUT_S, *TIMEOUT_RANGE_S)


class SenderWarning(UserWarning):
    """Entries MLflow rejected (dead-lettered) or a tracking URI that is not MLflow."""


class TransientError(Exception):
    """Worth retrying: the server may take it later (not before ``retry_after`` s if it said)."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MisconfiguredError(TransientError):
    """Not an MLflow server at that URI (or not reachable as one): keep data, retry slowly."""


class RejectedError(Exception):
    """MLflow answered with a non-retryable error for this request."""

    def __init__(self, message: str, status: int | None, error_code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


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
    # ``timeout``: how long this one request may take (None: the transport's own bound).
    def log_batch(self, batch: Batch, timeout: float | None = None) -> None: ...

    def fetch_params(self, run_id: str) -> dict[str, str] | None: ...

    def update_run(self, update: RunUpdate, timeout: float | None = None) -> None: ...

    def server_identity(self) -> str | None: ...


def identity_of(creation_time: object, artifact_location: object) -> str:
    """The identity of a tracking store, from its default experiment ("0").

    Why that experiment: every MLflow store creates it when the store itself is created, with
    ``creation_time`` = that moment in ms and an ``artifact_location`` chosen by the server's
    configuration; neither ever changes (renaming or deleting it keeps both), a database dump
    restored elsewhere keeps both, and one ``GET experiments/get`` any user may read returns
    them without writing anything. A fresh store started on the same URI gets another
    ``creation_time`` (its own millisecond), so a journal is never replayed into it. MLflow's
    REST API has no store id of its own; a tag we wrote would need write access and change the
    user's data.
    """
    return f"experiment 0 created {creation_time} at {artifact_location}"


class _Answer:
    """An HTTP answer whose body was read within the request's overall deadline."""

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def read_within(response: Any, deadline: float, what: str) -> _Answer:
    """Read a streamed ``requests`` answer's body, all of it before ``deadline`` (monotonic).

    The HTTP client's timeout bounds each read, not the whole answer: a server (or a proxy)
    trickling its body a byte at a time, each within that timeout, would hold a sender slot
    for as long as it liked. Here every read may wait only for what is left until the
    deadline (when the answer closes its connection, the socket is out of reach: then each
    read keeps the client's own timeout, and the bound is the deadline plus one such read).
    """
    raw = response.raw
    if not hasattr(raw, "read1"):  # not urllib3 (another SDK's client)
        return _Answer(response.status_code, response.headers, response.content)
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    late = f"{what}: the answer did not arrive in time (its body came too slowly)"
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TransientError(late)
            if sock is not None:
                sock.settimeout(left)
            chunk = raw.read1(READ_CHUNK, decode_content=True)  # gzip from a proxy too
            if not chunk:
                break
            chunks.append(chunk)
    except TransientError:
        response.close()  # a half-read connection must not go back to the pool
        raise
    except Exception as error:  # the read that waited until the deadline, a reset ...
        response.close()
        if time.monotonic() >= deadline - 0.05:
            raise TransientError(late) from error
        raise TransientError(f"{what}: {error}") from error
    raw.release_conn()  # read to the end: the connection is reusable (keep-alive)
    return _Answer(response.status_code, response.headers, b"".join(chunks))


class RestTransport:
    """MLflow's own REST client layer (host credentials, auth, TLS) with our retry policy.

    ``timeout`` bounds each request as a whole, from sending it to the last byte of the
    answer (and, as MLflow's client does, each network read).
    """

    def __init__(self, tracking_uri: str, timeout: float | None = None) -> None:
        from mlflow.store.tracking.rest_store import RestStore
        from mlflow.tracking._tracking_service.utils import _get_store

        store = _get_store(tracking_uri)
        if not isinstance(store, RestStore):
            raise TypeError(f"{tracking_uri} is not served over REST")
        self.tracking_uri = tracking_uri
        self._creds = store.get_host_creds
        self.timeout = default_timeout() if timeout is None else timeout

    def log_batch(self, batch: Batch, timeout: float | None = None) -> None:
        self._post(LOG_BATCH, batch.body(), timeout)

    def update_run(self, update: RunUpdate, timeout: float | None = None) -> None:
        body: dict[str, Any] = {"run_id": update.run_id, "run_uuid": update.run_id}
        if update.status is not None:
            body["status"] = update.status
        if update.end_time is not None:
            body["end_time"] = update.end_time
        if update.name is not None:
            body["run_name"] = update.name
        self._post(UPDATE_RUN, body, timeout)

    def fetch_params(self, run_id: str) -> dict[str, str] | None:
        """The run's params, with one short request (no MLflow retry loop); None on failure."""
        from mlflow.utils.rest_utils import http_request

        deadline = time.monotonic() + 5.0
        try:
            streamed = http_request(
                self._creds(),
                "/api/2.0/mlflow/runs/get",
                "GET",
                max_retries=0,
                timeout=5,
                raise_on_status=False,
                params={"run_id": run_id},
                stream=True,
            )
            response = read_within(streamed, deadline, "/api/2.0/mlflow/runs/get")
            if response.status_code != 200:
                return None
            params = response.json()["run"]["data"].get("params", [])
            return {p["key"]: p.get("value", "") for p in params}
        except Exception:
            return None

    def server_identity(self) -> str | None:
        """See :func:`identity_of`; None when the server has no readable experiment "0"."""
        from mlflow.exceptions import MlflowException
        from mlflow.utils.rest_utils import http_request

        timeout = min(self.timeout, 5.0)
        deadline = time.monotonic() + timeout
        try:
            streamed = http_request(
                self._creds(),
                GET_EXPERIMENT,
                "GET",
                max_retries=0,
                backoff_factor=0,
                backoff_jitter=0,
                timeout=timeout,
                raise_on_status=False,
                params={"experiment_id": "0"},
                stream=True,
            )
        except MlflowException as error:
            raise TransientError(str(error)) from error
        response = read_within(streamed, deadline, GET_EXPERIMENT)
        status = response.status_code
        if status in TRANSIENT_STATUS or status >= 500:
            raise TransientError(f"HTTP {status} from {GET_EXPERIMENT}")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise MisconfiguredError(
                f"{self.tracking_uri} answered {GET_EXPERIMENT} with HTTP {status} and no JSON"
                " body: is it an MLflow tracking server?"
            )
        experiment = payload.get("experiment")
        if status != 200 or not isinstance(experiment, dict):
            return None  # no experiment 0 (deleted for good, Databricks) or not allowed to read
        return identity_of(experiment.get("creation_time"), experiment.get("artifact_location"))

    def _post(self, endpoint: str, body: dict[str, Any], timeout: float | None = None) -> None:
        from mlflow.exceptions import MlflowException
        from mlflow.utils.rest_utils import http_request

        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        try:
            streamed = http_request(
                self._creds(),
                endpoint,
                "POST",
                max_retries=0,
                backoff_factor=0,
                backoff_jitter=0,
                timeout=timeout,
                raise_on_status=False,
                data=data,
                extra_headers={"Content-Type": "application/json"},
                stream=True,
            )
        except MlflowException as error:  # connection refused, timeout, DNS, TLS ...
            raise TransientError(str(error)) from error
        response = read_within(streamed, deadline, endpoint)
        status = response.status_code
        if status == 200:
            return
        if status in TRANSIENT_STATUS or status >= 500:
            wait = retry_after(response.headers.get("Retry-After"))
            raise TransientError(f"HTTP {status} from {endpoint}", retry_after=wait)
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

    def log_batch(self, batch: Batch, timeout: float | None = None) -> None:
        # A store call has no network bound: ``timeout`` does not apply.
        metrics, params, tags = mlflow_entities(batch.metrics, batch.params, batch.tags)
        self._call(lambda: self._store.log_batch(batch.run_id, metrics, params, tags))

    def fetch_params(self, run_id: str) -> dict[str, str] | None:
        try:
            return dict(self._store.get_run(run_id).data.params)
        except Exception:
            return None

    def server_identity(self) -> str | None:
        """See :func:`identity_of`; None when the store has no experiment "0"."""
        try:
            experiment = self._store.get_experiment("0")
        except Exception:
            return None
        return identity_of(experiment.creation_time, experiment.artifact_location)

    def update_run(self, update: RunUpdate, timeout: float | None = None) -> None:
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


def retry_after(header: str | None) -> float:
    """Seconds a ``Retry-After`` header asks for (delay or HTTP date), within 0..5 minutes."""
    if not header:
        return 0.0
    try:
        seconds = float(header)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(header).timestamp() - time.time()
        except (TypeError, ValueError):
            return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def make_transport(tracking_uri: str) -> Transport:
    from mlflow.utils.uri import is_http_uri

    if is_http_uri(tracking_uri) or tracking_uri.startswith("databricks"):
        return RestTransport(tracking_uri)
    return StoreTransport(tracking_uri)
