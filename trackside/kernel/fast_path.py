"""A fast path for ``mlflow.log_metric`` / ``mlflow.log_metrics`` while durable logging is on.

MLflow's fluent ``log_metric`` spends ~12 µs before it reaches ``MlflowClient.log_metric`` (where
:mod:`.mlflow_hook` hands the call to durable logging): it builds two ``MlflowClient`` objects,
reads the active run, the async-logging environment variable and the active model through
thread-locals, and looks at the run's logged-model inputs and outputs. For the common call
(``mlflow.log_metric(key, number, step=i)`` inside ``with mlflow.start_run()``) all of that
resolves to the same arguments every time, and this module computes them directly, then makes
the same sink call and feed publication as the hook.

Every call the fast path is not sure about goes to MLflow's own fluent function (which still
reaches the hook): a ``run_id``, ``model_id`` or ``dataset`` argument, an active model, a run
with logged-model outputs, no active run (MLflow starts one), a tracking URI other than the
sink's, a patched ``MlflowClient.log_metric``/``log_batch``, and any argument whose type is not
a plain ``str`` key, ``int``/``float`` value (a ``dict`` of them for ``log_metrics``) and
``int`` step / timestamp. So the outcome of every call — the sink's validation and exceptions,
the return value — is MLflow's by construction; ``tests/test_fast_path.py`` checks it against a
real ``mlflow server``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import mlflow
from mlflow.entities import Metric as MlflowMetric
from mlflow.environment_variables import MLFLOW_TRACKING_URI
from mlflow.tracking import MlflowClient, fluent
from mlflow.tracking._tracking_service import utils as tracking_utils
from mlflow.utils.async_logging.run_operations import RunOperations

from . import mlflow_hook, process
from .live import feed

__all__ = ["install", "installed", "uninstall"]

_lock = threading.Lock()

# MLflow's thread-locals (``ThreadLocalVariable``, whose ``reset()`` replaces ``thread_local``):
# the stored value is read directly; whenever MLflow's ``get()`` would do more than return it,
# MLflow decides.
_run_stack_var: Any = getattr(fluent, "_active_run_stack", None)
_model_context_var: Any = getattr(fluent, "_ACTIVE_MODEL_CONTEXT", None)
# Without these MLflow internals (another MLflow version), MLflow's own functions stay in place.
SUPPORTED = (
    hasattr(_run_stack_var, "thread_local")
    and hasattr(_model_context_var, "thread_local")
    and hasattr(tracking_utils, "_tracking_uri")
)

# MLflow's own fluent functions, kept for good: a fast function held by user code after
# ``uninstall`` still reaches them.
_MLFLOW: dict[str, Callable[..., Any]] = {
    "log_metric": fluent.log_metric,
    "log_metrics": fluent.log_metrics,
}

# The last active run seen without logged-model outputs, and its id, as one tuple (swapped
# atomically between threads). An active run's outputs are those it was started with: MLflow
# does not update them while it is active.
_plain_run: tuple[Any, str] = (None, "")


def install() -> None:
    """Route ``mlflow.log_metric`` / ``mlflow.log_metrics`` through the fast path (while the
    hook has a sink for the current tracking URI; else the calls are MLflow's own)."""
    if not SUPPORTED:
        return
    with _lock:
        for name, fast in _FAST.items():
            original = _MLFLOW[name]
            if getattr(fluent, name) is original:
                setattr(fluent, name, fast)
            if getattr(mlflow, name, None) is original:
                setattr(mlflow, name, fast)


def uninstall() -> None:
    """Put MLflow's fluent functions back (unless something replaced ours since)."""
    with _lock:
        for name, fast in _FAST.items():
            original = _MLFLOW[name]
            if getattr(fluent, name) is fast:
                setattr(fluent, name, original)
            if getattr(mlflow, name, None) is fast:
                setattr(mlflow, name, original)


def installed() -> bool:
    return fluent.log_metric is log_metric


# A tracked kernel gets its tracking URI from ``$MLFLOW_TRACKING_URI`` (the server extension sets
# it), and MLflow's ``get_tracking_uri()`` then reads the environment three times a call (~1.5 µs).
# The raw entry, compared as bytes with the sink's URI, gives the same answer when it is equal.
_uri_name = os.environ.encodekey(MLFLOW_TRACKING_URI.name)  # type: ignore[attr-defined]
_uri_value: tuple[str, bytes] = ("", b"")


def _environment_names(uri: str) -> bool:
    """True when ``$MLFLOW_TRACKING_URI`` is exactly ``uri`` (so MLflow would answer ``uri``)."""
    global _uri_value
    data = mlflow_hook.environ_data
    if data is None:
        return False
    if _uri_value[0] != uri:
        _uri_value = (uri, os.environ.encodevalue(uri))  # type: ignore[attr-defined]
    return bool(uri) and data.get(_uri_name) == _uri_value[1]


def _active_run_id(sink: mlflow_hook.Sink) -> str | None:
    """The id of the run MLflow's fluent call would log to and hand to ``sink``; None when only
    MLflow's own function can tell (no active run, an active model, logged-model outputs…)."""
    global _plain_run
    uri = tracking_utils._tracking_uri
    if uri is None and not _environment_names(sink.tracking_uri):
        uri = tracking_utils.get_tracking_uri()
        if uri != sink.tracking_uri:
            return None
    elif uri is not None and uri != sink.tracking_uri:
        return None
    try:
        stack, pid = _run_stack_var.thread_local.value
    except AttributeError:
        return None
    if pid != process.pid or not stack:
        return None
    try:
        context, pid = _model_context_var.thread_local.value
    except AttributeError:
        context, pid = _model_context_var.get(), process.pid
    if pid != process.pid or context.model_id is not None:
        return None
    run = stack[-1]
    known = _plain_run
    if run is known[0]:
        return known[1]
    outputs = run.outputs
    if outputs is not None and outputs.model_outputs:
        return None  # MLflow attaches the metric to the model logged at its step
    run_id: str = run.info.run_id
    _plain_run = (run, run_id)
    return run_id


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    sink = mlflow_hook.active_sink
    if (
        sink is not None
        and run_id is None
        and model_id is None
        and dataset is None
        and type(key) is str
        and type(value) in (float, int)
        and (step is None or type(step) is int)
        and (timestamp is None or type(timestamp) is int)
        and MlflowClient.log_metric is _HOOK_LOG_METRIC
        and (active := _active_run_id(sink)) is not None
    ):
        run_id = active
        if synchronous is None:
            synchronous = not mlflow_hook.async_logging_enabled()
        timestamp = timestamp or time.time_ns() // 1_000_000
        entry = sink.log_metric(run_id, key, value, timestamp, step or 0, None, None, None)
        if feed._subscribers:
            feed.publish((entry,))
        return None if synchronous else mlflow_hook.logging_result(synchronous)
    return _MLFLOW["log_metric"](
        key, value, step, synchronous, timestamp, run_id, model_id, dataset
    )


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    model_id: str | None = None,
    dataset: Any = None,
) -> RunOperations | None:
    sink = mlflow_hook.active_sink
    if (
        sink is not None
        and run_id is None
        and model_id is None
        and dataset is None
        and type(metrics) is dict
        and (step is None or type(step) is int)
        and (timestamp is None or type(timestamp) is int)
        and MlflowClient.log_batch is _HOOK_LOG_BATCH
        and (active := _active_run_id(sink)) is not None
    ):
        run_id = active
        timestamp = timestamp or time.time_ns() // 1_000_000
        step = step or 0
        batch = [
            MlflowMetric(key, value, timestamp, step, run_id=run_id)
            for key, value in metrics.items()
        ]
        if synchronous is None:
            synchronous = not mlflow_hook.async_logging_enabled()
        entries = sink.log_batch(run_id, batch, [], [])
        if entries and feed._subscribers:
            feed.publish(entries)
        return mlflow_hook.logging_result(synchronous)
    return _MLFLOW["log_metrics"](metrics, step, synchronous, run_id, timestamp, model_id, dataset)


_HOOK_LOG_METRIC = mlflow_hook.WRAPPERS["log_metric"]
_HOOK_LOG_BATCH = mlflow_hook.WRAPPERS["log_batch"]
_FAST: dict[str, Callable[..., Any]] = {"log_metric": log_metric, "log_metrics": log_metrics}
