"""A child command of the Jupyter server that cannot outlive it.

The embedded ``mlflow server`` and every served model run the same way: under the
parent-death watchdog (``trackside.server.watchdog``), in a session and process group of
their own, output appended to a log file. Stopping sends SIGTERM to the watchdog (which
stops its group), then stops whatever is left of the group (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import process_group

# A served model's log grows by a line per request: read only its end.
TAIL_BYTES = 64 * 1024


def log_tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file ('' if it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - TAIL_BYTES, 0))
            tail = handle.read().splitlines(keepends=True)[-lines:]
    except OSError:
        return ""
    return b"".join(tail).decode("utf-8", "replace")


class SupervisedProcess:
    """One run of ``command`` under the watchdog; ``pid`` is also its process group."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        log_path: Path,
        stop_timeout: float,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = list(command)
        self.cwd, self.log_path, self.stop_timeout = cwd, log_path, stop_timeout
        self.env = dict(env) if env is not None else None
        self._process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        watchdog = [sys.executable, "-m", "trackside.server.watchdog", "--parent", str(os.getpid())]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self._process = subprocess.Popen(
                [*watchdog, "--grace", str(self.stop_timeout), "--", *self.command],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        """Pid of the watchdog, whose process group holds the command."""
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        """The watchdog's exit code (the command's, when it exited by itself); None: running."""
        return self._process.poll() if self._process else None

    def exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    async def terminate(self) -> None:
        """Stop the watchdog and everything left in its group, without blocking the loop."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()  # the watchdog stops its whole group
            deadline = time.monotonic() + self.stop_timeout * 2 + 1
            while process.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        # Whatever is still in the group (watchdog SIGKILLed, say) goes now.
        await asyncio.get_running_loop().run_in_executor(
            None, process_group.stop_group, process.pid, self.stop_timeout
        )
        process.poll()
