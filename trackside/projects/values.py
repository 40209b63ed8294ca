"""The type rules of parameter values: int, float, string, path, uri.

Values are strings and are never evaluated. The frontend's
``src/panels/projects/paramRules.ts`` holds the same rules;
``trackside/tests/data/mlproject_cases.json`` has the cases both must agree on.
"""

from __future__ import annotations

import math
import re

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
