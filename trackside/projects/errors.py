"""The one error of the projects package: what is wrong, and where in the MLproject."""

from __future__ import annotations

from typing import Any


class ProjectError(Exception):
    """A bad MLproject, parameter value or project path.

    ``line`` is the 1-based line in the MLproject file when known; ``field`` names the
    offending part (``entry_points.main.parameters.alpha``, or a parameter name for a
    bad value). The message is shown to the user as is.
    """

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.field = field

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"MLproject line {self.line}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """MLflow-shaped error body for the REST API."""
        return {
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": str(self),
            "line": self.line,
            "field": self.field,
        }
