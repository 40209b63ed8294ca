"""The sender's numeric settings from the environment, each clamped to its range.

A value that does not parse (or is not finite) gives the default: a typo in a kernel's
environment must not stop it from logging.
"""

from __future__ import annotations

import math
import os


def bounded_setting(name: str, default: float, low: float, high: float) -> float:
    """``$name`` as a number in ``[low, high]``; ``default`` when unset or unreadable."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    if not math.isfinite(value):
        return default
    return min(high, max(low, value))
