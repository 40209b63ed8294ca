"""Parameter values checked against their declared types before anything runs.

Values stay strings and are never evaluated. The same rules live in the frontend's
``src/panels/projects/paramRules.ts``; ``trackside/tests/data/mlproject_cases.json``
holds the cases both must agree on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ProjectError

if TYPE_CHECKING:
    from .spec import EntryPoint

_INT = re.compile(r"[+-]?[0-9]+")
# A strict subset of what Python's float() takes: no spaces, underscores, nan or inf,
# so that JavaScript reads every accepted value the same way.
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
# MLflow's uri type needs a scheme (mlflow.utils.data_utils.is_uri); a bare path fails
# inside `mlflow run`, so it is refused here, before anything starts.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:.+", re.DOTALL)


def value_problem(type_: str, value: str) -> str | None:
    """Why ``value`` is not a valid ``type_`` value, or None when it is."""
    if value == "":
        return "is empty"
    if type_ == "int" and not _INT.fullmatch(value):
        return f"must be an integer, got {value!r}"
    if type_ == "float" and not (_FLOAT.fullmatch(value) and math.isfinite(float(value))):
        return f"must be a finite number, got {value!r}"
    if type_ == "uri" and not _URI.fullmatch(value):
        return f"must be a URI with a scheme (s3://, https://, file://…), got {value!r}"
    return None


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
