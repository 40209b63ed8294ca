"""Capture settings: one typed record, shown and changed by ``%mlflow config``.

The frontend's settings reach the kernel the same way (it runs ``%mlflow config KEY VALUE``),
so this record is the only place where the kernel-side defaults live.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field, fields
from typing import Any

METRIC_WORDS = "accuracy|acc|loss|mse|rmse|mae|r2|f1|precision|recall|auc|score"
QUALIFIERS = (
    "train|val|valid|validation|test|eval|mean|avg|std|min|max|best|final|macro|micro|weighted|\\d+"
)

#: Matched case-insensitively against the whole variable name (``re.fullmatch``).
DEFAULT_METRIC_PATTERNS: tuple[str, ...] = (
    # the word alone or with any prefix: loss, val_loss, eval_rmse, test_accuracy, f1_score
    rf"(?:[a-z0-9]\w*_)?(?:{METRIC_WORDS})",
    # the word followed by one qualifier: loss_val, f1_macro, rmse_1
    rf"(?:{METRIC_WORDS})_(?:{QUALIFIERS})",
)


@dataclass
class CaptureSettings:
    """What auto-capture does; every field can be set with ``%mlflow config KEY VALUE``."""

    capture_params: bool = True
    capture_metrics: bool = True
    metric_patterns: list[str] = field(default_factory=lambda: list(DEFAULT_METRIC_PATTERNS))
    max_source_chars: int = 100_000
    max_nodes: int = 50_000
    max_params: int = 100
    max_metrics: int = 1000
    max_str_len: int = 250
    max_seq_len: int = 20
    autolog: bool = True
    log_source: bool = True
    summary: bool = True
    git_timeout: float = 2.0
    server_timeout: float = 3.0
    flush_timeout: float = 5.0
    sync_timeout: float = 30.0

    def __post_init__(self) -> None:
        self._compiled: tuple[re.Pattern[str], ...] = ()
        self._compiled_from: list[str] | None = None

    def metric_regexes(self) -> tuple[re.Pattern[str], ...]:
        if self._compiled_from != self.metric_patterns:
            self._compiled = tuple(re.compile(p, re.IGNORECASE) for p in self.metric_patterns)
            self._compiled_from = list(self.metric_patterns)
        return self._compiled

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def set(self, key: str, text: str) -> Any:
        """Set ``key`` from its text form; raises ``ValueError`` saying what was expected."""
        spec = {f.name: f for f in fields(self)}.get(key)
        if spec is None:
            raise KeyError(key)
        current = getattr(self, key)
        value = parse_value(key, current, text)
        if key == "metric_patterns":
            for pattern in value:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"invalid regular expression {pattern!r}: {error}") from None
        setattr(self, key, value)
        return value

    def copy(self) -> CaptureSettings:
        return dataclasses.replace(self, metric_patterns=list(self.metric_patterns))


_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no"}


def parse_value(key: str, current: Any, text: str) -> Any:
    text = text.strip()
    if isinstance(current, bool):
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{key} expects on or off, got {text!r}")
    if isinstance(current, int):
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise ValueError(f"{key} expects a whole number, got {text!r}") from None
        if value < 0:
            raise ValueError(f"{key} expects a number >= 0, got {value}")
        return value
    if isinstance(current, float):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{key} expects a number of seconds, got {text!r}") from None
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"{key} expects a finite number >= 0, got {text!r}")
        return number
    if isinstance(current, list):
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"{key} expects a JSON list of strings: {error}") from None
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError(f"{key} expects a JSON list of strings")
        else:
            items = [part.strip() for part in text.split(",")]
        items = [item for item in items if item]
        if not items:
            raise ValueError(f"{key} expects at least one entry")
        return items
    raise ValueError(f"{key} cannot be set")  # pragma: no cover - every field is covered above
