"""Auto-capture rules: which params and metrics a cell produced.

Pure functions. The cell is read with :mod:`ast` (never executed); after IPython ran it,
the values of the names the cell bound are read from the user namespace. Every loop is
bounded by :class:`~trackside.kernel.settings.CaptureSettings` so that a huge cell costs
a bounded amount of time.
"""

from __future__ import annotations

import ast
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..capture.settings import CaptureSettings

_NOT_LITERAL = object()
_MISSING = object()
_KEY_RE = re.compile(r"^[/\w.\- :]{1,250}$")
_SCALARS = (bool, int, float, str, type(None))


@dataclass
class CellScan:
    """What the source of a cell binds, before it runs."""

    #: name -> literal value of its last literal assignment (module scope)
    params: dict[str, Any] = field(default_factory=dict)
    #: every name bound at module scope -> True when only bound conditionally
    #: (inside if/for/while/try/match), False when bound unconditionally
    bound: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class Captured:
    """What auto-capture would log for one cell (before removing keys the run has)."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- names


def is_metric_name(name: str, settings: CaptureSettings) -> bool:
    if name.startswith("_"):
        return False
    return any(regex.fullmatch(name) for regex in settings.metric_regexes())


def valid_key(key: str) -> bool:
    """MLflow's rule for param and metric keys (characters and length)."""
    return bool(_KEY_RE.match(key)) and not key.startswith("/") and "//" not in key


# ---------------------------------------------------------------------------------- scanning


def scan_cell(source: str, settings: CaptureSettings) -> CellScan:
    """Find the module-scope bindings of ``source`` (IPython-transformed cell code)."""
    scan = CellScan()
    if len(source) > settings.max_source_chars:
        scan.notes.append(
            f"cell has {len(source):,} characters (max_source_chars={settings.max_source_chars:,}):"
            " auto-capture skipped"
        )
        return scan
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return scan
    budget = [settings.max_nodes]
    for statement, conditional in _statements(tree.body, False, budget):
        _bind(statement, conditional, scan, settings)
    if budget[0] < 0:
        scan.notes.append(
            f"cell has more than max_nodes={settings.max_nodes:,} statements:"
            " only the first were scanned"
        )
    return scan


def _statements(
    body: Sequence[ast.stmt], conditional: bool, budget: list[int]
) -> Iterator[tuple[ast.stmt, bool]]:
    """Module-scope statements, depth first; def/class/lambda bodies are other scopes."""
    for statement in body:
        budget[0] -= 1
        if budget[0] < 0:
            return
        yield statement, conditional
        if isinstance(statement, ast.With | ast.AsyncWith):
            yield from _statements(statement.body, conditional, budget)
        elif isinstance(statement, ast.If | ast.For | ast.AsyncFor | ast.While):
            yield from _statements(statement.body, True, budget)
            yield from _statements(statement.orelse, True, budget)
        elif isinstance(statement, ast.Try | getattr(ast, "TryStar", ast.Try)):
            for part in (statement.body, statement.orelse, statement.finalbody):
                yield from _statements(part, True, budget)
            for handler in statement.handlers:
                yield from _statements(handler.body, True, budget)
        elif isinstance(statement, ast.Match):
            for case in statement.cases:
                yield from _statements(case.body, True, budget)


def _bind(
    statement: ast.stmt, conditional: bool, scan: CellScan, settings: CaptureSettings
) -> None:
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            _bind_target(target, conditional, scan)
        for target in statement.targets:
            _literal_assignment(target, statement.value, scan, settings)
    elif isinstance(statement, ast.AnnAssign):
        if statement.value is not None:
            _bind_target(statement.target, conditional, scan)
            _literal_assignment(statement.target, statement.value, scan, settings)
    elif isinstance(statement, ast.AugAssign):
        _bind_target(statement.target, conditional, scan)
        if isinstance(statement.target, ast.Name):
            scan.params.pop(statement.target.id, None)
    elif isinstance(statement, ast.For | ast.AsyncFor):
        _bind_target(statement.target, True, scan)
        _forget(statement.target, scan)
    elif isinstance(statement, ast.With | ast.AsyncWith):
        for item in statement.items:
            if item.optional_vars is not None:
                _bind_target(item.optional_vars, conditional, scan)
                _forget(item.optional_vars, scan)


def _forget(target: ast.expr, scan: CellScan) -> None:
    for name in _names(target):
        scan.params.pop(name, None)


def _bind_target(target: ast.expr, conditional: bool, scan: CellScan) -> None:
    if isinstance(target, ast.Name):
        if not target.id.startswith("_"):
            scan.bound[target.id] = scan.bound.get(target.id, True) and conditional
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            _bind_target(element, conditional, scan)
    elif isinstance(target, ast.Starred):
        _bind_target(target.value, conditional, scan)


def _literal_assignment(
    target: ast.expr, value: ast.expr, scan: CellScan, settings: CaptureSettings
) -> None:
    if isinstance(target, ast.Name):
        if target.id.startswith("_"):
            return
        literal = literal_value(value, settings)
        if literal is _NOT_LITERAL:
            scan.params.pop(target.id, None)  # a later non-literal binding wins
        else:
            scan.params.pop(target.id, None)  # keep source order of the last binding
            scan.params[target.id] = literal
    elif isinstance(target, ast.Tuple | ast.List):
        if (
            isinstance(value, ast.Tuple | ast.List)
            and len(value.elts) == len(target.elts)
            and not any(isinstance(e, ast.Starred) for e in target.elts)
        ):
            for sub_target, sub_value in zip(target.elts, value.elts, strict=True):
                _literal_assignment(sub_target, sub_value, scan, settings)
        else:
            _forget(target, scan)


def _names(target: ast.expr) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _names(element)
    elif isinstance(target, ast.Starred):
        yield from _names(target.value)


def literal_value(node: ast.expr, settings: CaptureSettings, depth: int = 0) -> Any:
    """The value of a literal node, or ``_NOT_LITERAL``; never evaluates anything."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, _SCALARS) else _NOT_LITERAL
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = node.operand
        if isinstance(operand, ast.Constant) and type(operand.value) in (int, float):
            return -operand.value if isinstance(node.op, ast.USub) else operand.value
        return _NOT_LITERAL
    if isinstance(node, ast.List | ast.Tuple):
        if len(node.elts) > settings.max_seq_len:
            return _NOT_LITERAL
        items = []
        for element in node.elts:
            item = literal_value(element, settings, depth + 1)
            if item is _NOT_LITERAL or isinstance(item, list | tuple | dict):
                return _NOT_LITERAL
            items.append(item)
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        if depth > 4 or len(node.keys) > settings.max_params:
            return _NOT_LITERAL
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # {**other}
                return _NOT_LITERAL
            key = literal_value(key_node, settings, depth + 1)
            if type(key) not in (str, int):
                return _NOT_LITERAL
            item = literal_value(value_node, settings, depth + 1)
            if item is _NOT_LITERAL:
                return _NOT_LITERAL
            result[key] = item
        return result
    return _NOT_LITERAL


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
    """A runtime value in the shapes a literal can have, or ``_NOT_LITERAL``."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, numbers.Number) and hasattr(value, "item"):
        try:
            return _plain(value.item(), depth)
        except Exception:
            return _NOT_LITERAL
    if isinstance(value, list | tuple) and depth < 1:
        items = [_plain(v, depth + 1) for v in value[:1000]]
        if len(value) > 1000 or any(item is _NOT_LITERAL for item in items):
            return _NOT_LITERAL
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict) and depth < 5:
        result = {}
        for key, item in list(value.items())[:1000]:
            plain = _plain(item, depth + 1)
            if type(key) not in (str, int) or plain is _NOT_LITERAL:
                return _NOT_LITERAL
            result[key] = plain
        return result
    return _NOT_LITERAL


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
            if plain is _NOT_LITERAL:
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
