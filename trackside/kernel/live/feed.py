"""The metric feed: every metric point logged in this process, handed to in-kernel subscribers.

Points come from the MLflow hook (:mod:`trackside.kernel.mlflow_hook`, whose ``listen`` is how
consumers subscribe: it keeps the hook installed while they listen), which sees every
``MlflowClient.log_metric`` / ``log_batch`` call, so the fluent API, ``MlflowClient`` and
framework autologging all arrive here. Subscribers run in the thread that logged the point and
must be quick; one that raises is reported once and never breaks the user's code.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["MetricPoint", "PointLike", "Subscriber", "has_subscribers", "publish", "subscribe"]


class PointLike(Protocol):
    """What subscribers read from a published point: a :class:`MetricPoint`, or the journal's own
    metric entry (``journal.records.Metric``), which the durable paths publish as it is rather
    than copying it (~0.2 µs a call)."""

    @property
    def run_id(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> float: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def step(self) -> int: ...


# Not frozen: a frozen dataclass sets each field through ``object.__setattr__`` (~0.7 µs a point
# against ~0.2 µs), and one is made per tracked ``log_metric``. Treat points as read-only.
@dataclass(slots=True)
class MetricPoint:
    run_id: str
    key: str
    value: float
    timestamp: int  # milliseconds since the epoch, fixed when the point was logged
    step: int


Subscriber = Callable[[Sequence[PointLike]], None]


class FeedWarning(UserWarning):
    """A feed subscriber failed; the user's logging call went on regardless."""


_lock = threading.Lock()
# Copy-on-write tuple: ``publish`` reads it without taking the lock.
_subscribers: tuple[Subscriber, ...] = ()
_warned: set[int] = set()


def subscribe(callback: Subscriber) -> Callable[[], None]:
    """Deliver every published metric point to ``callback``; returns unsubscribe."""
    global _subscribers
    with _lock:
        _subscribers = (*_subscribers, callback)
    done = False

    def unsubscribe() -> None:
        nonlocal done
        global _subscribers
        with _lock:
            if done:
                return
            done = True
            remaining = list(_subscribers)
            if callback in remaining:
                remaining.remove(callback)
            _subscribers = tuple(remaining)

    return unsubscribe


def has_subscribers() -> bool:
    return bool(_subscribers)


def publish(points: Sequence[PointLike]) -> None:
    """Hand ``points`` to every subscriber; never raises."""
    for callback in _subscribers:
        try:
            callback(points)
        except Exception as error:  # a broken subscriber must not break user code
            if id(callback) not in _warned:
                _warned.add(id(callback))
                warnings.warn(
                    f"trackside: a live-metrics subscriber failed and was skipped: {error!r}",
                    FeedWarning,
                    stacklevel=2,
                )
