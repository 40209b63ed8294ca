"""The dead-letter file: requests MLflow refused, kept as JSON lines with the error."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

from .batches import Batch, Request
from .transport import RejectedError, SenderWarning


class DeadLetters:
    """JSON lines (one request each, with the error) appended to a shared file."""

    def __init__(self, path: Path, journal_name: str, tracking_uri: str) -> None:
        self.path = path
        self.journal_name = journal_name
        self.tracking_uri = tracking_uri
        self.count = 0

    def add(self, request: Request, error: RejectedError) -> None:
        if isinstance(request, Batch):
            body: dict[str, Any] = {"kind": "log-batch", **request.body()}
            entries = request.count()
        else:
            body = {"kind": "update-run", **request._asdict()}
            entries = 1
        line = {
            "time_ms": int(time.time() * 1000),
            "journal": self.journal_name,
            "tracking_uri": self.tracking_uri,
            "http_status": error.status,
            "error_code": error.error_code,
            "error": str(error),
            **body,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)  # one write: lines from several kernels do not interleave
        finally:
            os.close(fd)
        self.count += entries
        warnings.warn(
            f"trackside: MLflow rejected {entries} entries for run {request.run_id} ({error});"
            f" they were saved to {self.path}",
            SenderWarning,
            stacklevel=1,
        )
