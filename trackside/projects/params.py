"""Parameter values checked against their entry point before anything runs."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ProjectError
from .spec import EntryPoint
from .values import value_problem

__all__ = ["check_parameters", "value_problem"]


def check_parameters(entry: EntryPoint, values: Mapping[str, str]) -> dict[str, str]:
    """The entry point's parameters with defaults filled in, or one error naming each bad one."""
    declared = {parameter.name: parameter for parameter in entry.parameters}
    problems: list[tuple[str, str]] = []
    for name in values:
        if name not in declared:
            known = ", ".join(declared) or "none"
            problems.append((name, f"unknown parameter (entry point '{entry.name}' takes {known})"))
    checked: dict[str, str] = {}
    for name, parameter in declared.items():
        value = values.get(name, parameter.default)
        if value is None:
            problems.append((name, "is required"))
            continue
        if not isinstance(value, str):
            problems.append((name, f"must be given as a string, got {type(value).__name__}"))
            continue
        problem = value_problem(parameter.type, value)
        if problem:
            problems.append((name, f"({parameter.type}) {problem}"))
            continue
        checked[name] = value
    if problems:
        detail = "; ".join(f"'{name}' {problem}" for name, problem in problems)
        raise ProjectError(
            f"Invalid parameters for entry point '{entry.name}': {detail}", field=problems[0][0]
        )
    return checked
