"""One-line, visible notices for things Trackside does automatically (never raised)."""

from __future__ import annotations

import contextlib
import sys

_seen: set[str] = set()


def notice(message: str, *, once: str | None = None) -> None:
    """Print ``trackside: message`` on stderr; with ``once``, only the first time per key."""
    if once is not None:
        if once in _seen:
            return
        _seen.add(once)
    with contextlib.suppress(Exception):  # a broken stderr must not break the caller
        print(f"trackside: {message}", file=sys.stderr, flush=True)


def reset() -> None:
    _seen.clear()
