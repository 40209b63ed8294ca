"""The journal's sync backlog, told to the panel on the ``trackside.metrics`` comm.

A daemon thread looks at the durable logging of this kernel (:func:`journal.durable.active`)
twice a second and, when its backlog changed, sends (no buffers)::

    data = {"type": "sync", "stream": "trackside.metrics", "backlog": int, "sent": int,
            "dead_lettered": int, "draining": bool, "last_error": str | None}

so at most 2 messages a second, and once more when the backlog reaches 0 (``draining``
false). Nothing is sent while the backlog stays 0. Never raises into user code.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

INTERVAL = 0.5  # seconds between looks: at most 2 messages a second

StatusSource = Callable[[], "dict[str, Any] | None"]
Send = Callable[[dict[str, Any]], bool]


def durable_status() -> dict[str, Any] | None:
    """``DurableLogging.status()`` of this kernel, or None without durable logging."""
    # Only if durable logging was ever loaded: importing it here would import MLflow (seconds
    # of CPU) into a kernel that streams without it.
    module = sys.modules.get("trackside.kernel.journal.durable")
    if module is None:
        return None
    durable = module.active()
    return durable.status() if durable is not None else None


def sync_message(status: dict[str, Any], stream: str) -> dict[str, Any]:
    backlog = int(status.get("backlog") or 0)
    return {
        "type": "sync",
        "stream": stream,
        "backlog": backlog,
        "sent": int(status.get("sent") or 0),
        "dead_lettered": int(status.get("dead_lettered") or 0),
        "draining": backlog > 0,
        "last_error": status.get("last_error") if backlog else None,
    }


class SyncReporter:
    """Sends a ``sync`` message when the backlog changed since the last one sent."""

    def __init__(
        self,
        send: Send,
        stream: str,
        source: StatusSource = durable_status,
        interval: float = INTERVAL,
    ) -> None:
        self._send = send
        self._stream = stream
        self._source = source
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: tuple[int, bool, str | None] = (0, False, None)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="trackside-sync", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.tick()
            except Exception:  # a status that cannot be read now may be readable next time
                continue

    def tick(self) -> bool:
        """One look; True if a message was sent."""
        status = self._source()
        if status is None:
            return False
        message = sync_message(status, self._stream)
        state = (message["backlog"], message["draining"], message["last_error"])
        if state == self._last:
            return False
        if not self._send(message):
            return False  # nobody listening right now: try again at the next look
        self._last = state
        return True
