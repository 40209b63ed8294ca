"""Auto-capture, before the cell runs: which names a cell binds, read with :mod:`ast`.

Pure functions; the cell is never executed here (:mod:`.values` reads the values after
IPython ran it). Every loop is bounded by :class:`~.settings.CaptureSettings` so that a huge
cell costs a bounded amount of time.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .settings import CaptureSettings

#: What :func:`literal_value` returns for an expression that is not a literal.
NOT_LITERAL = object()
_KEY_RE = re.compile(r"^[/\w.\- :]{1,250}$")
SCALARS = (bool, int, float, str, type(None))


@dataclass
class CellScan:
    """What the source of a cell binds, before it runs."""

    #: name -> literal value of its last literal assignment (module scope)
    params: dict[str, Any] = field(default_factory=dict)
    #: every name bound at module scope -> True when only bound conditionally
    #: (inside if/for/while/try/match), False when bound unconditionally
    bound: dict[str, bool] = field(default_factory=dict)
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
        if literal is NOT_LITERAL:
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
    """The value of a literal node, or ``NOT_LITERAL``; never evaluates anything."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, SCALARS) else NOT_LITERAL
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = node.operand
        if isinstance(operand, ast.Constant) and type(operand.value) in (int, float):
            return -operand.value if isinstance(node.op, ast.USub) else operand.value
        return NOT_LITERAL
    if isinstance(node, ast.List | ast.Tuple):
        if len(node.elts) > settings.max_seq_len:
            return NOT_LITERAL
        items = []
        for element in node.elts:
            item = literal_value(element, settings, depth + 1)
            if item is NOT_LITERAL or isinstance(item, list | tuple | dict):
                return NOT_LITERAL
            items.append(item)
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        if depth > 4 or len(node.keys) > settings.max_params:
            return NOT_LITERAL
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # {**other}
                return NOT_LITERAL
            key = literal_value(key_node, settings, depth + 1)
            if type(key) not in (str, int):
                return NOT_LITERAL
            item = literal_value(value_node, settings, depth + 1)
            if item is NOT_LITERAL:
                return NOT_LITERAL
            result[key] = item
        return result
    return NOT_LITERAL
