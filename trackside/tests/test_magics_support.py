"""Real IPython kernels for the magic, extension and tracked-notebook tests (no tests here).

A kernel is started with jupyter_client, with ``MLFLOW_TRACKING_URI`` pointing at the
session's real ``mlflow server`` and ``JPY_SESSION_NAME`` at a notebook inside a fresh
git repository. Cells are sent as execute requests with a ``cellId`` in the metadata,
as JupyterLab sends them.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client import KernelManager
from mlflow import MlflowClient

from .servers import MlflowServer


@dataclass
class Reply:
    status: str = ""
    stdout: str = ""
    stderr: str = ""
    displays: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    #: the execute_reply's content when it failed (ename, evalue, traceback)
    error: dict[str, Any] | None = None
    #: ``error`` messages on IOPub (what the user sees)
    shown_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ename(self) -> str | None:
        return self.error["ename"] if self.error else None

    @property
    def traceback(self) -> str:
        """The displayed traceback(s), without ANSI colours."""
        text = "\n".join(line for e in self.shown_errors for line in e["traceback"])
        return re.sub(r"\x1b\[[0-9;]*m", "", text)

    def __str__(self) -> str:
        return (
            f"status={self.status} error={self.error and self.error.get('evalue')!r}\n"
            f"stdout={self.stdout!r}\nstderr={self.stderr!r}"
        )


class Kernel:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env, cwd=str(cwd))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def send(self, code: str, cell_id: str | None = None) -> str:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": False,
        }
        metadata = {"cellId": cell_id or uuid.uuid4().hex}
        message = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(message)
        return message["header"]["msg_id"]

    def collect(self, msg_id: str, timeout: float = 180, until: str | None = None) -> Reply:
        """IOPub output of ``msg_id`` until idle (or until ``until`` appears on stdout)."""
        reply = Reply()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no idle from the kernel; so far: {reply}")
            try:
                message = self.kc.get_iopub_msg(timeout=left)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                if content["name"] == "stdout":
                    reply.stdout += content["text"]
                else:
                    reply.stderr += content["text"]
                if until is not None and until in reply.stdout:
                    return reply
            elif kind == "display_data":
                reply.displays.append(content["data"])
            elif kind == "execute_result":
                reply.results.append(content["data"])
            elif kind == "error":
                reply.shown_errors.append(content)
            elif kind == "status" and content["execution_state"] == "idle":
                break
        shell = self.kc.get_shell_msg(timeout=30)
        while shell["parent_header"].get("msg_id") != msg_id:
            shell = self.kc.get_shell_msg(timeout=30)
        reply.status = shell["content"]["status"]
        if reply.status == "error":
            reply.error = shell["content"]
        return reply

    def run(self, code: str, cell_id: str | None = None, timeout: float = 180) -> Reply:
        return self.collect(self.send(code, cell_id), timeout)

    def ok(self, code: str, cell_id: str | None = None) -> Reply:
        reply = self.run(code, cell_id)
        assert reply.status == "ok", str(reply)
        return reply

    def value(self, expression: str) -> str:
        """``repr`` of an expression in the kernel, as text."""
        return self.ok(f"print(repr({expression}))").stdout.strip()

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


@dataclass
class Notebook:
    """A notebook path inside a git repository, and the repository's HEAD."""

    folder: Path
    path: Path
    commit: str


def make_notebook(folder: Path) -> Notebook:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "analysis.ipynb"
    path.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n')
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "-c",
        "init.defaultBranch=main",
    ]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "add", "."], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "nb"], cwd=folder, check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=folder, check=True, capture_output=True, text=True
    ).stdout.strip()
    return Notebook(folder=folder, path=path, commit=commit)


def kernel_env(server: MlflowServer, notebook: Notebook, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=server.url,
        JPY_SESSION_NAME=str(notebook.path),
        HOME=str(home),  # the journal and any per-user state stay inside the test
        TRACKSIDE_JOURNAL_DIR=str(home / "journal"),
        KERAS_BACKEND="torch",
        PYTHONWARNINGS="ignore::DeprecationWarning",
        GIT_PYTHON_REFRESH="quiet",
    )
    return env


def run_tags(client: MlflowClient, run_id: str) -> dict[str, str]:
    return dict(client.get_run(run_id).data.tags)


def runs_in(client: MlflowClient, experiment: str) -> list[Any]:
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    return client.search_runs([found.experiment_id])


def run_id_of(reply: Reply) -> str:
    """The run id of the ``%%mlflow`` summary displayed in ``reply``."""
    for data in reply.displays:
        run = data.get("application/vnd.trackside.run+json")
        if run:
            return run["run_id"]
    raise AssertionError(f"no run summary displayed: {reply}")


def start_kernel(server: MlflowServer, notebook: Notebook, home: Path) -> Kernel:
    home.mkdir(parents=True, exist_ok=True)
    return Kernel(kernel_env(server, notebook, home), notebook.folder)


def loaded_kernel(server: MlflowServer, notebook: Notebook, home: Path) -> Iterator[Kernel]:
    """A kernel with ``import mlflow, numpy as np`` and ``%load_ext trackside``."""
    kernel = start_kernel(server, notebook, home)
    try:
        kernel.ok("import mlflow, numpy as np\n%load_ext trackside")
        yield kernel
    finally:
        kernel.shutdown()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
