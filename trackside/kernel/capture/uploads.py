"""Cell sources are uploaded as run artifacts in the background (never on the cell's path)."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from ..notices import notice


class Uploads:
    """One daemon thread that runs ``MlflowClient().log_text`` calls in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, str, str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._done = threading.Condition()

    def submit(self, client: Any, run_id: str, text: str, artifact_file: str) -> None:
        with self._done:
            self._pending += 1
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._work, name="trackside-uploads", daemon=True
            )
            self._thread.start()
        self._queue.put((client, run_id, text, artifact_file))

    @property
    def pending(self) -> int:
        return self._pending

    def wait(self, timeout: float) -> bool:
        """Wait until every submitted upload is done; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._done:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(left)
        return True

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            client, run_id, text, artifact_file = item
            try:
                client.log_text(run_id, text, artifact_file)
            except Exception as error:
                first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
                notice(f"could not upload {artifact_file} to run {run_id}: {first}")
            finally:
                with self._done:
                    self._pending -= 1
                    self._done.notify_all()
