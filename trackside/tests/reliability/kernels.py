"""Real IPython kernels for the reliability rows, logging through durable logging."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

from ..kernel_helpers import REPO

INSTALL = """
import json, mlflow
from trackside.kernel.journal.durable import DurableLogging
from trackside.tests.reliability.workload import log_series
durable = DurableLogging(flush_timeout={flush_timeout})
durable.install()
"""


def kernel_env(tracking_uri: str, journal: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        TRACKSIDE_JOURNAL_DIR=str(journal),
        PYTHONPATH=str(REPO),
        MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true",
        **extra,
    )
    return env


class Kernel:
    """One kernel process; ``stderr`` collects everything it printed there (notices, warnings)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env, cwd=str(REPO))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.stderr: list[str] = []

    def install(self, flush_timeout: float = 5) -> None:
        self.run(INSTALL.format(flush_timeout=flush_timeout))

    def run(self, code: str, timeout: float = 300) -> str:
        """Execute and return stdout; raise with the traceback if the cell failed.

        Unlike ``execute_interactive``, stderr from every parent is kept: background threads
        (the journal sender) print under an earlier cell's header.
        """
        msg_id = self.client.execute(code)
        out: list[str] = []
        errors: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            kind, content = msg["msg_type"], msg["content"]
            ours = msg["parent_header"].get("msg_id") == msg_id
            if kind == "stream" and content["name"] == "stderr":
                self.stderr.append(content["text"])
            elif kind == "stream" and ours:
                out.append(content["text"])
            elif kind == "error" and ours:
                errors.append("\n".join(content["traceback"]))
            elif kind == "status" and ours and content["execution_state"] == "idle":
                break
        reply = self.reply(msg_id, max(1.0, deadline - time.monotonic()))
        if reply["status"] != "ok":
            raise AssertionError("cell failed:\n" + "\n".join(errors))
        return "".join(out)

    def json(self, code: str, timeout: float = 300) -> Any:
        """Run ``code`` whose last printed line is JSON; return it parsed."""
        return json.loads(self.run(code, timeout).strip().splitlines()[-1])

    def submit(self, code: str) -> str:
        return str(self.client.execute(code))

    def reply(self, msg_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.client.get_shell_msg(timeout=deadline - time.monotonic())
            if msg["parent_header"].get("msg_id") == msg_id:
                return dict(msg["content"])
        raise TimeoutError(msg_id)

    def drain_iopub(self) -> None:
        """Collect stderr printed outside a cell we waited on (background threads)."""
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except Exception:
                return
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
                self.stderr.append(msg["content"]["text"])

    def sigkill(self) -> None:
        self.manager.signal_kernel(signal.SIGKILL)  # as an OOM killer would
        deadline = time.monotonic() + 30
        while self.manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)

    def stop(self) -> None:
        self.client.stop_channels()
        if self.manager.is_alive():
            self.manager.shutdown_kernel(now=True)
