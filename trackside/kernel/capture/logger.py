"""Log captured values into a run without overriding what the user logged.

Keys a run already has are known from three places: the metric feed (every metric logged in
this process, whichever API logged it), what auto-capture logged itself, and one
``MlflowClient.get_run`` per run (after asking the durable layer to flush), bounded by a
timeout so that an unreachable server never stalls the kernel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..live.feed import MetricPoint
from ..notices import notice


@dataclass
class _RunKeys:
    params: set[str] = field(default_factory=set)
    metrics: set[str] = field(default_factory=set)
    fetched: bool = False
    # what auto-capture itself logged: param values and the last step of each metric
    auto_params: dict[str, str] = field(default_factory=dict)
    auto_steps: dict[str, int] = field(default_factory=dict)
    latest: dict[str, float] = field(default_factory=dict)


@dataclass
class Outcome:
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class CaptureLogger:
    """Per-process knowledge of run keys, and the one place that logs captured values."""

    MAX_LATEST = 200

    def __init__(self) -> None:
        self._runs: dict[str, _RunKeys] = {}
        self._lock = threading.Lock()
        #: run ids that received metrics since :meth:`take_used_runs` was last called
        self._used: dict[str, None] = {}
        #: True while listening to the metric feed (then every metric key of this process is known)
        self.listening = False

    # -------------------------------------------------------------------- knowledge

    def _run(self, run_id: str) -> _RunKeys:
        keys = self._runs.get(run_id)
        if keys is None:
            with self._lock:
                keys = self._runs.setdefault(run_id, _RunKeys())
        return keys

    def on_points(self, points: Any) -> None:
        """Metric feed subscriber: one ``MetricPoint`` or an iterable of them. Must stay cheap."""
        if isinstance(points, MetricPoint):
            points = (points,)
        for point in points:
            keys = self._run(point.run_id)
            keys.metrics.add(point.key)
            if point.key in keys.latest or len(keys.latest) < self.MAX_LATEST:
                keys.latest[point.key] = point.value
            self._used[point.run_id] = None

    def take_used_runs(self) -> list[str]:
        used, self._used = list(self._used), {}
        return used

    def note_params(self, run_id: str, params: Iterable[str]) -> None:
        self._run(run_id).params.update(params)

    def latest_metrics(self, run_id: str) -> dict[str, float]:
        return dict(self._run(run_id).latest)

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)

    def known(
        self,
        run_id: str,
        flush: Callable[[float], bool] | None,
        fetch: Callable[[str], Any],
        timeout: float,
        fresh: bool = False,
    ) -> _RunKeys:
        """The run's keys; the first call per run also asks the server (bounded)."""
        keys = self._run(run_id)
        if keys.fetched:
            return keys
        # a run this process created: the feed saw its metrics, the durable layer its params
        local = _durable_params(run_id) if fresh and self.listening else None
        if local is not None:
            keys.params.update(local)
            keys.fetched = True
            return keys
        deadline = time.monotonic() + timeout
        flushed = True
        if flush is not None:
            try:
                flushed = bool(flush(timeout))
            except Exception:
                flushed = False
        if flushed:
            run = _call_with_timeout(lambda: fetch(run_id), max(deadline - time.monotonic(), 0.1))
            if run is not None:
                keys.params.update(run.data.params)
                keys.metrics.update(run.data.metrics)
                keys.fetched = True
        return keys

    # -------------------------------------------------------------------- logging

    def record(
        self,
        run_id: str,
        params: Mapping[str, str],
        metrics: Mapping[str, float],
        tags: Mapping[str, str],
        *,
        client: Any,
        flush: Callable[[float], bool] | None,
        timeout: float,
        fresh: bool = False,
    ) -> Outcome:
        """Log what the run does not have yet; never raises (returns notes instead)."""
        from mlflow.entities import Metric, Param, RunTag

        outcome = Outcome()
        wanted = params or metrics
        keys = self.known(run_id, flush, client.get_run, timeout, fresh) if wanted else None
        metric_entities = []
        param_entities = []
        if keys is not None:
            now = int(time.time() * 1000)
            for key, text in params.items():
                if key in keys.auto_params:
                    if keys.auto_params[key] != text:
                        outcome.notes.append(
                            f"param {key!r} changed ({keys.auto_params[key]} -> {text}); "
                            "a run's params cannot change: not logged"
                        )
                    continue
                if key in keys.params:
                    continue  # the user's own logging wins
                param_entities.append(Param(key, text))
                outcome.params[key] = text
            for key, value in metrics.items():
                if key in keys.auto_steps:
                    step = keys.auto_steps[key] + 1
                elif key in keys.metrics:
                    continue  # the user's own logging wins
                else:
                    step = 0
                metric_entities.append(Metric(key, value, now, step))
                outcome.metrics[key] = value
        tag_entities = [RunTag(k, v) for k, v in tags.items()]
        if not (metric_entities or param_entities or tag_entities):
            return outcome
        failed = _log(client, run_id, metric_entities, param_entities, tag_entities)
        for kind, key, error in failed:
            outcome.notes.append(f"{kind} {key!r} not logged: {error}")
            outcome.params.pop(key, None) if kind == "param" else outcome.metrics.pop(key, None)
        run = self._run(run_id)
        for key, text in outcome.params.items():
            run.auto_params[key] = text
            run.params.add(key)
        for entity in metric_entities:
            if entity.key in outcome.metrics:
                run.auto_steps[entity.key] = entity.step
                run.metrics.add(entity.key)
                run.latest[entity.key] = entity.value
        return outcome


def _durable_params(run_id: str) -> set[str] | None:
    """Param keys the durable layer knows for ``run_id`` (it sees every explicit call)."""
    from ..journal.durable import active

    durable = active()
    return durable.known_params(run_id) if durable is not None else None


def _log(client: Any, run_id: str, metrics: list, params: list, tags: list) -> list:
    """One ``log_batch``; if MLflow rejects it, item by item so valid data still lands."""
    try:
        client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
        return []
    except Exception as error:
        if len(metrics) + len(params) + len(tags) == 1:
            entity = (metrics or params or tags)[0]
            kind = "metric" if metrics else "param" if params else "tag"
            return [(kind, entity.key, _short(error))]
    failed = []
    for kind, entities in (("metric", metrics), ("param", params), ("tag", tags)):
        for entity in entities:
            batch = {"metrics": [], "params": [], "tags": []}
            batch[kind + "s"] = [entity]
            try:
                client.log_batch(run_id, **batch)
            except Exception as error:
                failed.append((kind, entity.key, _short(error)))
    return failed


def _short(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def _call_with_timeout(function: Callable[[], Any], timeout: float) -> Any:
    """``function()`` in a daemon thread; ``None`` if it fails or takes longer than ``timeout``."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(function())
        except Exception as error:
            notice(f"could not read the run from MLflow ({_short(error)})", once="fetch-run")

    thread = threading.Thread(target=target, name="trackside-fetch", daemon=True)
    thread.start()
    thread.join(timeout)
    return box[0] if box else None
