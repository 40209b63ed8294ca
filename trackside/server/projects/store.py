"""``executions.json``: the list of project executions, kept across Jupyter restarts.

Written whole on every state change, atomically (a temporary file, then ``os.replace``),
so a crash mid-write leaves the previous list, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

STORE_NAME = "executions.json"


class ExecutionStore:
    def __init__(self, directory: Path, log: logging.Logger | None = None) -> None:
        self.path = directory / STORE_NAME
        self.log = log or logging.getLogger("trackside")

    def load(self) -> list[dict[str, Any]]:
        """The saved executions ([] when none were saved or the file cannot be read)."""
        try:
            entries = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            self.log.warning("Trackside: ignoring unreadable %s: %s", self.path, err)
            return []
        if not isinstance(entries, list):
            self.log.warning("Trackside: ignoring %s: not a list", self.path)
            return []
        return [entry for entry in entries if isinstance(entry, dict) and "id" in entry]

    def save(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=".executions-", suffix=".json"
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entries, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
