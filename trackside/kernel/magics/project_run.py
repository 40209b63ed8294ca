"""``%mlflow run PATH [-e ENTRY] [-P key=value]... [--experiment NAME] [--env-manager M]``.

Runs an MLflow Project from a cell: the same checks as the Jupyter server's project
runner (:mod:`trackside.projects`), then ``mlflow run`` as a child in its own process
group, its output streamed into the cell line by line. The magic's value is the run id.
An interrupt stops the whole process group and ends the run KILLED; whatever happens,
no child outlives the cell.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from IPython.core.error import UsageError

from ...projects import (
    ENV_MANAGERS,
    RUN_ID,
    ProjectError,
    check_parameters,
    env_manager_available,
    load_project,
    mlflow_run_argv,
    mlflow_run_environment,
    resolve_project,
)
from ..state import TracksideState
from .cell import check_experiment_name

USAGE = "%mlflow run PATH [-e ENTRY] [-P key=value]... [--experiment NAME] [--env-manager M]"
STOP_GRACE_SECONDS = 5.0
TAIL_LINES = 20


class ProjectRunFailed(RuntimeError):
    """``mlflow run`` ended with a non-zero exit code (its output is already in the cell)."""

    def __init__(self, exit_code: int, run_id: str | None, tail: list[str]) -> None:
        run = f" (run {run_id})" if run_id else ""
        last = "".join(tail).rstrip()
        super().__init__(f"mlflow run exited with code {exit_code}{run}; last lines:\n{last}")
        self.exit_code = exit_code
        self.run_id = run_id
        self.tail = tail

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback through the magic's frames.
        return [f"{type(self).__name__}: {self}"]


@dataclass
class _Output:
    """What was read of the child's output: its last lines, and the run id once seen."""

    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    run_id: str | None = None

    def add_line(self, line: str) -> None:
        self.tail.append(line)
        if self.run_id is None and (found := RUN_ID.search(line)):
            self.run_id = found.group(1)


@dataclass
class RunRequest:
    path: str
    entry_point: str = "main"
    parameters: dict[str, str] = field(default_factory=dict)
    experiment: str | None = None
    env_manager: str = "local"


def parse_run_line(rest: str) -> RunRequest:
    """The words after ``%mlflow run``, or a UsageError saying what is wrong."""
    try:
        words = shlex.split(rest)
    except ValueError as error:
        raise UsageError(f"expected: {USAGE} ({error})") from None
    path: str | None = None
    request = RunRequest(path="")
    index = 0
    while index < len(words):
        word = words[index]
        option, equals, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if option in ("-e", "--entry-point", "-P", "--param", "--experiment", "--env-manager"):
            if equals:
                value = inline
            elif index + 1 < len(words):
                index += 1
                value = words[index]
            else:
                raise UsageError(f"%mlflow run: {option} needs a value ({USAGE})")
            _apply_option(request, option, value)
        elif word.startswith("-") and word != "-":
            raise UsageError(f"%mlflow run: unknown option {word!r} ({USAGE})")
        elif path is None:
            path = word
        else:
            raise UsageError(
                f"%mlflow run: one project path expected, got {path!r} and {word!r} ({USAGE})"
            )
        index += 1
    if path is None:
        raise UsageError(f"expected: {USAGE}")
    request.path = path
    return request


def _apply_option(request: RunRequest, option: str, value: str) -> None:
    if option in ("-e", "--entry-point"):
        if not value:
            raise UsageError("%mlflow run: the entry point name is empty")
        request.entry_point = value
    elif option in ("-P", "--param"):
        key, equals, param = value.partition("=")
        if not equals or not key:
            raise UsageError(f"%mlflow run: -P expects key=value, got {value!r}")
        if key in request.parameters:
            raise UsageError(f"%mlflow run: parameter {key!r} given twice")
        request.parameters[key] = param
    elif option == "--experiment":
        request.experiment = check_experiment_name(value)
    else:
        if value not in ENV_MANAGERS:
            raise UsageError(
                f"%mlflow run: unknown --env-manager {value!r} (one of: {', '.join(ENV_MANAGERS)})"
            )
        if not env_manager_available(value):
            raise UsageError(f"%mlflow run: --env-manager {value} is not installed here")
        request.env_manager = value


def prepare_argv(request: RunRequest, cwd: Path) -> list[str]:
    """The checked ``mlflow run`` argv; a ProjectError becomes a UsageError, nothing runs."""
    allow_remote = os.environ.get("TRACKSIDE_ALLOW_REMOTE_PROJECTS") == "1"
    try:
        project = resolve_project(cwd, request.path, allow_remote=allow_remote)
        parameters = request.parameters
        if isinstance(project, Path):  # a remote project is checked by MLflow once fetched
            entry = load_project(project).entry_point(request.entry_point)
            parameters = check_parameters(entry, request.parameters)
        return mlflow_run_argv(
            project,
            request.entry_point,
            parameters,
            experiment_name=request.experiment,
            env_manager=request.env_manager,
        )
    except ProjectError as error:
        raise UsageError(f"%mlflow run: {error}") from None


def run_project(state: TracksideState, rest: str) -> str | None:
    """``%mlflow run …``: the run id of the MLflow run the project created."""
    import mlflow

    request = parse_run_line(rest)
    argv = prepare_argv(request, Path.cwd())
    tracking_uri = mlflow.get_tracking_uri()
    env = mlflow_run_environment(os.environ, tracking_uri)
    # The experiment comes from --experiment, else from the kernel (%mlflow experiment NAME,
    # mlflow.set_experiment).
    if request.experiment is None and (experiment_id := _active_experiment_id()):
        env["MLFLOW_EXPERIMENT_ID"] = experiment_id
    child = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own group: a kernel interrupt does not reach it
    )
    seen = _Output()
    try:
        assert child.stdout is not None
        _stream(child.stdout, seen)
        exit_code = child.wait()
    except BaseException:
        _stop_group(child)
        _drain(child, seen)
        _kill_run(tracking_uri, seen.run_id)
        killed = f"; run {seen.run_id} KILLED" if seen.run_id else ""
        print(f"\nstopped mlflow run (pid {child.pid}){killed}")
        raise
    finally:
        _stop_group(child)  # whatever it left behind in its group
        if child.stdout is not None:
            child.stdout.close()
    run_id = seen.run_id
    if exit_code != 0:
        raise ProjectRunFailed(exit_code, run_id, list(seen.tail))
    if run_id is None:
        print("trackside: mlflow run finished but printed no run id")
        return None
    state.last_run = (run_id, mlflow.MlflowClient(tracking_uri).get_run(run_id).info.experiment_id)
    print(f"MLflow run {run_id} finished; %mlflow open {run_id} shows it in the Trackside panel")
    return run_id


def _active_experiment_id() -> str | None:
    """The kernel's active experiment (``mlflow.set_experiment``), if one was set."""
    from mlflow.tracking import fluent

    try:
        return fluent._get_experiment_id()
    except Exception:
        return None


def _stream(output: IO[bytes], seen: _Output) -> None:
    """Copy the child's output into the cell as it arrives, noting lines and the run id.

    Chunks, not lines: a progress bar redrawn with carriage returns shows as it is drawn.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    partial = ""
    while chunk := os.read(output.fileno(), 65536):
        text = decoder.decode(chunk)
        sys.stdout.write(text)
        sys.stdout.flush()
        *lines, partial = (partial + text).split("\n")
        if len(partial) > 65536:  # a very long line without an end: keep its start only
            lines.append(partial[:4096])
            partial = ""
        for line in lines:
            seen.add_line(line + "\n")
    if partial:
        seen.add_line(partial)


def _drain(child: subprocess.Popen[bytes], seen: _Output) -> None:
    """What the stopped child wrote after the last chunk read (it may hold the run id)."""
    try:
        rest, _ = child.communicate(timeout=STOP_GRACE_SECONDS)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        return
    text = (rest or b"").decode("utf-8", errors="replace")
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
        for line in text.splitlines(keepends=True):
            seen.add_line(line)


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after a grace period."""
    group = child.pid  # start_new_session: the child leads its own group
    if _signal_group(group, signal.SIGTERM):
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=STOP_GRACE_SECONDS)
        _signal_group(group, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while _signal_group(group, 0) and time.monotonic() < deadline:
        time.sleep(0.02)  # killed members linger until their parent reaps them


def _signal_group(group: int, signum: int) -> bool:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_run(tracking_uri: str, run_id: str | None) -> None:
    """End the project's run KILLED unless it already ended (MLflow's own client, not the
    kernel's journal: the run belongs to the stopped process, not to this kernel)."""
    if run_id is None:
        return
    from mlflow import MlflowClient

    from ..mlflow_hook import original

    client: Any = MlflowClient(tracking_uri)
    try:
        if client.get_run(run_id).info.status == "RUNNING":
            original("set_terminated")(client, run_id, "KILLED")
    except Exception as error:
        print(f"trackside: could not mark run {run_id} KILLED ({error})")
