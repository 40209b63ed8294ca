"""The one place where Trackside hooks MLflow: methods of ``MlflowClient``, at the class level.

In the installed MLflow (3.x) every logging path ends in these methods:

- ``mlflow.log_metric``                      -> ``MlflowClient.log_metric``
- ``mlflow.log_metrics`` / ``log_params`` / ``set_tags`` and autologging (Keras callbacks use
  ``mlflow.log_metrics``, sklearn and ``BatchMetricsLogger`` use ``MlflowClient.log_batch``)
                                             -> ``MlflowClient.log_batch``
- ``mlflow.log_param``                       -> ``MlflowClient.log_param``
- ``mlflow.set_tag``                         -> ``MlflowClient.set_tag``
- ``mlflow.end_run`` / ``with start_run()``  -> ``MlflowClient.set_terminated``
- ``MlflowClient.update_run``
- ``mlflow.start_run``                       -> ``MlflowClient.create_run`` / ``get_run`` (observed
  only: run creation stays synchronous, the hook learns which runs exist and their params)

``tests/test_tee.py::test_routing_*`` fails if MLflow changes this routing.

Two consumers: the metric feed (:mod:`.live.feed`, every metric point, always) and at most
one *sink* (durable logging), which takes over calls from clients that talk to its tracking URI.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import Param as MlflowParam
from mlflow.entities import Run
from mlflow.entities import RunTag as MlflowRunTag
from mlflow.environment_variables import MLFLOW_ENABLE_ASYNC_LOGGING
from mlflow.tracking import MlflowClient
from mlflow.tracking.fluent import get_active_model_id
from mlflow.tracking.metric_value_conversion_utils import (
    convert_metric_value_to_float_if_possible,
)
from mlflow.utils.async_logging.run_operations import RunOperations
from mlflow.utils.time import get_current_time_millis

from .journal.records import Metric
from .live import feed
from .live.feed import MetricPoint, Subscriber

HOOKED = (
    "log_metric",
    "log_batch",
    "log_param",
    "set_tag",
    "set_terminated",
    "update_run",
    "create_run",
    "get_run",
)


class Sink(Protocol):
    """Durable logging, as seen by the hook. Methods raise MLflow's exceptions for bad input."""

    tracking_uri: str

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
    ) -> Metric: ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MlflowMetric],
        params: Sequence[MlflowParam],
        tags: Sequence[MlflowRunTag],
    ) -> list[Metric]: ...

    def log_param(self, run_id: str, key: str, value: Any) -> None: ...

    def set_tag(self, run_id: str, key: str, value: Any) -> None: ...

    def update_run(
        self, run_id: str, status: str | None, end_time: int | None, name: str | None
    ) -> None: ...

    def observe_run(self, run: Run, created: bool) -> None: ...


_lock = threading.Lock()
_users = 0
# The sink calls aimed at its tracking URI go to (also read by :mod:`.fast_path`).
active_sink: Sink | None = None
ORIGINALS: dict[str, Callable[..., Any]] = {}


def acquire() -> None:
    """Hook MLflow (first user) — each feed listener and durable logging hold one use."""
    global _users
    with _lock:
        _users += 1
        if _users == 1:
            _install()


def release() -> None:
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users == 0:
            _uninstall()


def listen(callback: Subscriber) -> Callable[[], None]:
    """Deliver every metric point logged in this process to ``callback`` (through the
    metric feed), keeping MLflow hooked while it listens; returns unsubscribe."""
    unsubscribe = feed.subscribe(callback)
    acquire()
    done = False

    def stop() -> None:
        nonlocal done
        with _lock:
            if done:
                return
            done = True
        unsubscribe()
        release()

    return stop


def set_sink(sink: Sink | None) -> None:
    global active_sink
    active_sink = sink


def installed() -> bool:
    return bool(ORIGINALS)


def original(name: str) -> Callable[..., Any]:
    """MLflow's own ``MlflowClient`` method, whether or not the hook is on."""
    return ORIGINALS.get(name) or getattr(MlflowClient, name)


def _install() -> None:
    for name in HOOKED:
        original = MlflowClient.__dict__[name]
        ORIGINALS[name] = original
        wrapper = WRAPPERS[name]
        functools.update_wrapper(wrapper, original)
        wrapper.__trackside_original__ = original  # type: ignore[attr-defined]
        setattr(MlflowClient, name, wrapper)


def _uninstall() -> None:
    for name, original in ORIGINALS.items():
        setattr(MlflowClient, name, original)
    ORIGINALS.clear()


def _sink_for(client: MlflowClient) -> Sink | None:
    sink = active_sink
    if sink is not None and client._tracking_client.tracking_uri == sink.tracking_uri:
        return sink
    return None


# ``os.environ`` keeps its values in ``_data`` under encoded names: a lookup there is ~10x
# cheaper than ``os.environ.get`` and sees the same values.
environ_data: dict[Any, Any] | None = getattr(os.environ, "_data", None)
_ASYNC_NAME = os.environ.encodekey(MLFLOW_ENABLE_ASYNC_LOGGING.name)  # type: ignore[attr-defined]


# The last raw value of the variable MLflow parsed, and its answer (an invalid value is never
# kept: MLflow's ``get()`` raises for it on every call).
_async_seen: tuple[Any, bool] = (None, False)


def async_logging_enabled() -> bool:
    """``MLFLOW_ENABLE_ASYNC_LOGGING.get()``, without its cost on every call."""
    global _async_seen
    if environ_data is None:
        return bool(MLFLOW_ENABLE_ASYNC_LOGGING.get())
    raw = environ_data.get(_ASYNC_NAME)
    if raw is None:
        return bool(MLFLOW_ENABLE_ASYNC_LOGGING.default)
    if raw == _async_seen[0]:
        return _async_seen[1]
    answer = bool(MLFLOW_ENABLE_ASYNC_LOGGING.get())
    _async_seen = (raw, answer)
    return answer


def logging_result(synchronous: bool | None) -> RunOperations | None:
    """What MLflow returns: None for synchronous calls, a (here already completed) future else."""
    if synchronous is None:
        synchronous = not async_logging_enabled()
    if synchronous:
        return None
    done: Future[None] = Future()
    done.set_result(None)
    return RunOperations([done])


def _point(run_id: str, key: str, value: Any, timestamp: int, step: int | None) -> MetricPoint:
    converted = convert_metric_value_to_float_if_possible(value)
    return MetricPoint(run_id, key, float(converted), int(timestamp), int(step or 0))


def _publish_passthrough(points: Callable[[], list[MetricPoint]]) -> None:
    if feed.has_subscribers():
        try:
            made = points()
        except (TypeError, ValueError, OverflowError):
            return  # MLflow accepted something that is not a plain number; nothing to plot
        feed.publish(made)


# --- wrappers (signatures mirror MLflow 3's MlflowClient) ----------------------------------------


def _log_metric(
    self: MlflowClient,
    run_id: str,
    key: str,
    value: float,
    timestamp: int | None = None,
    step: int | None = None,
    synchronous: bool | None = None,
    dataset_name: str | None = None,
    dataset_digest: str | None = None,
    model_id: str | None = None,
) -> RunOperations | None:
    if timestamp is None:
        timestamp = get_current_time_millis()
    sink = _sink_for(self)
    if sink is not None:
        entry = sink.log_metric(
            run_id,
            key,
            value,
            timestamp,
            step if step is not None else 0,
            model_id or get_active_model_id(),
            dataset_name,
            dataset_digest,
        )
        if feed._subscribers:
            feed.publish((entry,))
        return logging_result(synchronous)
    result = ORIGINALS["log_metric"](
        self,
        run_id,
        key,
        value,
        timestamp,
        step,
        synchronous=synchronous,
        dataset_name=dataset_name,
        dataset_digest=dataset_digest,
        model_id=model_id,
    )
    _publish_passthrough(lambda: [_point(run_id, key, value, timestamp, step)])
    return result


def _log_batch(
    self: MlflowClient,
    run_id: str,
    metrics: Sequence[MlflowMetric] = (),
    params: Sequence[MlflowParam] = (),
    tags: Sequence[MlflowRunTag] = (),
    synchronous: bool | None = None,
) -> RunOperations | None:
    sink = _sink_for(self)
    if sink is not None:
        entries = sink.log_batch(run_id, metrics, params, tags)
        if entries and feed._subscribers:
            feed.publish(entries)
        return logging_result(synchronous)
    result = ORIGINALS["log_batch"](self, run_id, metrics, params, tags, synchronous=synchronous)
    if metrics:
        _publish_passthrough(
            lambda: [_point(run_id, m.key, m.value, m.timestamp, m.step) for m in metrics]
        )
    return result


def _log_param(
    self: MlflowClient, run_id: str, key: str, value: Any, synchronous: bool | None = None
) -> Any:
    sink = _sink_for(self)
    if sink is None:
        return ORIGINALS["log_param"](self, run_id, key, value, synchronous=synchronous)
    sink.log_param(run_id, key, value)
    result = logging_result(synchronous)
    return value if result is None else result


def _set_tag(
    self: MlflowClient, run_id: str, key: str, value: Any, synchronous: bool | None = None
) -> RunOperations | None:
    sink = _sink_for(self)
    if sink is None:
        return ORIGINALS["set_tag"](self, run_id, key, value, synchronous=synchronous)
    sink.set_tag(run_id, key, value)
    return logging_result(synchronous)


def _set_terminated(
    self: MlflowClient, run_id: str, status: str | None = None, end_time: int | None = None
) -> None:
    sink = _sink_for(self)
    if sink is None:
        return ORIGINALS["set_terminated"](self, run_id, status, end_time)
    sink.update_run(run_id, status or "FINISHED", end_time or get_current_time_millis(), None)
    return None


def _update_run(
    self: MlflowClient, run_id: str, status: str | None = None, name: str | None = None
) -> None:
    sink = _sink_for(self)
    if sink is None:
        return ORIGINALS["update_run"](self, run_id, status, name)
    if status is None and name is None:
        return None
    sink.update_run(run_id, status, None, name)
    return None


def _create_run(self: MlflowClient, *args: Any, **kwargs: Any) -> Run:
    run = ORIGINALS["create_run"](self, *args, **kwargs)
    sink = _sink_for(self)
    if sink is not None:
        sink.observe_run(run, created=True)
    return run


def _get_run(self: MlflowClient, run_id: str) -> Run:
    run = ORIGINALS["get_run"](self, run_id)
    sink = _sink_for(self)
    if sink is not None:
        sink.observe_run(run, created=False)
    return run


# The hook's replacement for each MlflowClient method (the fast path checks they are in place).
WRAPPERS: dict[str, Callable[..., Any]] = {
    "log_metric": _log_metric,
    "log_batch": _log_batch,
    "log_param": _log_param,
    "set_tag": _set_tag,
    "set_terminated": _set_terminated,
    "update_run": _update_run,
    "create_run": _create_run,
    "get_run": _get_run,
}
