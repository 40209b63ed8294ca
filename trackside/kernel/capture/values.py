"""Auto-capture, after the cell ran: the params and metrics it produced.

The values of the names the cell bound (:mod:`.scan`) are read from the user namespace.
Pure functions, bounded by :class:`~.settings.CaptureSettings` like the scan.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .scan import NOT_LITERAL, SCALARS, CellScan, is_metric_name, valid_key
from .settings import CaptureSettings

_MISSING = object()


@dataclass
class Captured:
    """What auto-capture would log for one cell (before removing keys the run has)."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- values


def metric_value(obj: Any) -> float | None:
    """``obj`` as a metric value: real numbers, numpy scalars, 0-d arrays and tensors."""
    if isinstance(obj, bool | str | bytes | list | tuple | dict | set | type(None)):
        return None
    if isinstance(obj, int | float):
        return _as_float(obj)
    try:
        if isinstance(obj, numbers.Real):
            item: Any = obj.item() if hasattr(obj, "item") else obj
            return None if isinstance(item, bool) else _as_float(item)
        ndim = getattr(obj, "ndim", None)
        if isinstance(ndim, int) and ndim == 0 and callable(getattr(obj, "item", None)):
            item = obj.item()
            if isinstance(item, bool) or not isinstance(item, int | float):
                return None
            return _as_float(item)
    except Exception:
        return None
    return None


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (OverflowError, TypeError, ValueError):
        return None


def _same_literal(value: Any, literal: Any) -> bool:
    """True when the namespace still holds the literal the cell assigned."""
    if type(value) is not type(literal):
        return False
    try:
        if isinstance(literal, float) and math.isnan(literal):
            return math.isnan(value)
        if isinstance(literal, list | tuple):
            return len(value) == len(literal) and all(
                _same_literal(v, lit) for v, lit in zip(value, literal, strict=True)
            )
        if isinstance(literal, dict):
            return value.keys() == literal.keys() and all(
                _same_literal(value[k], literal[k]) for k in literal
            )
        return bool(value == literal)
    except Exception:
        return False


def _plain(value: Any, depth: int = 0) -> Any:
    """A runtime value in the shapes a literal can have, or ``NOT_LITERAL``."""
    if isinstance(value, SCALARS):
        return value
    if isinstance(value, numbers.Number) and hasattr(value, "item"):
        try:
            return _plain(value.item(), depth)
        except Exception:
            return NOT_LITERAL
    if isinstance(value, list | tuple) and depth < 1:
        items = [_plain(v, depth + 1) for v in value[:1000]]
        if len(value) > 1000 or any(item is NOT_LITERAL for item in items):
            return NOT_LITERAL
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict) and depth < 5:
        result = {}
        for key, item in list(value.items())[:1000]:
            plain = _plain(item, depth + 1)
            if type(key) not in (str, int) or plain is NOT_LITERAL:
                return NOT_LITERAL
            result[key] = plain
        return result
    return NOT_LITERAL


def param_entries(
    name: str, value: Any, settings: CaptureSettings, notes: list[str]
) -> Iterator[tuple[str, str]]:
    """``(key, text)`` for a param value; dicts are flattened to ``name.key``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from param_entries(f"{name}.{key}", item, settings, notes)
        return
    if isinstance(value, list | tuple) and len(value) > settings.max_seq_len:
        notes.append(f"param {name!r} has more than max_seq_len={settings.max_seq_len} items:"
                     " skipped")  # fmt: skip
        return
    text = str(value)
    if len(text) > settings.max_str_len:
        notes.append(f"param {name!r} is longer than max_str_len={settings.max_str_len}: skipped")
        return
    if not valid_key(name):
        notes.append(f"param key {name!r} is not a valid MLflow key: skipped")
        return
    yield name, text


# ---------------------------------------------------------------------------------- collect


def snapshot(scan: CellScan, namespace: Mapping[str, Any], settings: CaptureSettings) -> dict:
    """Before the cell runs: the objects behind conditionally bound metric names.

    After the cell, such a name counts only if it now holds a different object.
    """
    result = {}
    for name, conditional in scan.bound.items():
        if conditional and name in namespace and is_metric_name(name, settings):
            result[name] = namespace[name]
    return result


def collect(
    scan: CellScan,
    namespace: Mapping[str, Any],
    settings: CaptureSettings,
    *,
    before: Mapping[str, Any] | None = None,
    succeeded: bool = True,
    params: Iterable[str] | None = None,
    metrics: Iterable[str] | None = None,
    capture_params: bool = True,
    capture_metrics: bool = True,
) -> Captured:
    """The params and metrics of a cell that has run.

    ``params`` / ``metrics`` are explicit variable names (``--params a,b``): they are read
    from the namespace whatever the cell did and need not match the metric patterns.
    Metrics are only read from cells that succeeded (a failed cell may not have bound them).
    """
    captured = Captured(notes=list(scan.notes))
    before = before or {}
    if capture_params and settings.capture_params:
        _collect_params(scan, namespace, settings, params, captured)
    if capture_metrics and settings.capture_metrics and (succeeded or metrics is not None):
        _collect_metrics(scan, namespace, settings, before, metrics, captured)
    return captured


def _collect_params(
    scan: CellScan,
    namespace: Mapping[str, Any],
    settings: CaptureSettings,
    explicit: Iterable[str] | None,
    captured: Captured,
) -> None:
    chosen: list[tuple[str, Any]] = []
    if explicit is not None:
        for name in explicit:
            value = namespace.get(name, _MISSING)
            if value is _MISSING:
                captured.notes.append(f"--params: no variable {name!r} after the cell")
                continue
            plain = _plain(value)
            if plain is NOT_LITERAL:
                captured.notes.append(f"--params: {name!r} is not a number, string or list")
                continue
            chosen.append((name, plain))
    else:
        for name, literal in scan.params.items():
            numeric = isinstance(literal, int | float) and not isinstance(literal, bool)
            if numeric and is_metric_name(name, settings):
                continue  # a numeric literal bound to a metric name is a metric
            if _same_literal(namespace.get(name, _MISSING), literal):
                chosen.append((name, literal))
    dropped = 0
    for name, value in chosen:
        for key, text in param_entries(name, value, settings, captured.notes):
            if len(captured.params) >= settings.max_params:
                dropped += 1
            else:
                captured.params[key] = text
    if dropped:
        captured.notes.append(f"{dropped} params not captured (max_params={settings.max_params})")


def _collect_metrics(
    scan: CellScan,
    namespace: Mapping[str, Any],
    settings: CaptureSettings,
    before: Mapping[str, Any],
    explicit: Iterable[str] | None,
    captured: Captured,
) -> None:
    if explicit is not None:
        names: Iterable[str] = explicit
    else:
        names = (
            name
            for name, conditional in scan.bound.items()
            if is_metric_name(name, settings)
            and not (conditional and name in before and namespace.get(name) is before[name])
        )
    dropped = 0
    for name in names:
        value = namespace.get(name, _MISSING)
        if value is _MISSING:
            if explicit is not None:
                captured.notes.append(f"--metrics: no variable {name!r} after the cell")
            continue
        number = metric_value(value)
        if number is None:
            if explicit is not None:
                captured.notes.append(f"--metrics: {name!r} is not a number")
            continue
        if not valid_key(name):
            continue
        if len(captured.metrics) >= settings.max_metrics:
            dropped += 1
            continue
        captured.metrics[name] = number
    if dropped:
        captured.notes.append(
            f"{dropped} metrics not captured (max_metrics={settings.max_metrics})"
        )
