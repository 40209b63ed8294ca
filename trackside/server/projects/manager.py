"""Project executions: each one ``mlflow run`` child of the Jupyter server, supervised.

A request is checked whole first (path inside the root, the MLproject, the parameters
against their types, the env manager): a bad one starts nothing. A good one runs at once
under the parent-death watchdog in a process group of its own (``SupervisedProcess``),
or waits in a queue while ``max_running`` others run. A watcher per execution stats its
log every ``poll_interval`` seconds, wakes the long polls of its output, finds the MLflow
run id as soon as ``mlflow run`` prints it, and records the exit. The list is saved on
every state change. Nothing here blocks the event loop for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackside.projects.command import (
    ENV_MANAGERS,
    RUN_ID,
    display_command,
    env_manager_available,
    mlflow_run_argv,
    mlflow_run_environment,
)
from trackside.projects.errors import ProjectError
from trackside.projects.params import check_parameters
from trackside.projects.paths import is_remote, resolve_project
from trackside.projects.spec import load_project

from ..gateway import GatewayError
from ..supervised import SupervisedProcess, log_tail
from ..upstream import Upstream
from .execution import ACTIVE, Execution, State, now_ms
from .output import OutputChunk, log_size, read_output
from .runs import kill_run
from .store import ExecutionStore

MAX_WAIT = 25.0  # seconds a long poll of the output may wait
RUN_ID_SCAN_LIMIT = 1024 * 1024  # MLflow prints the run id first thing: stop looking after this
SETTLE_DEADLINE = 300.0  # seconds to reach MLflow at start for runs a stopped Jupyter left
SETTLE_RETRY = 2.0
MAX_KEPT = 200  # ended executions kept in the list (with their logs); older ones are forgotten


class ProjectRefusal(Exception):
    """A request refused before anything started: the status and a ProjectError's JSON."""

    def __init__(self, status: int, error: ProjectError) -> None:
        super().__init__(str(error))
        self.status = status
        self.payload = error.to_json()
        if status == 403:
            self.payload["error_code"] = "PERMISSION_DENIED"


@dataclass(frozen=True)
class ProjectsOptions:
    # executions.json and the ``<id>.log`` files.
    state_dir: Path
    # The Jupyter server's root directory: projects must be inside it.
    root_dir: Path
    # The backend's tracking URI (MLFLOW_TRACKING_URI…), read when a project starts.
    environment: Callable[[], Mapping[str, str]]
    # The MLflow server and its credentials, to mark stopped runs KILLED.
    upstream: Callable[[], Upstream]
    allow_remote: bool = False
    max_running: int = 2
    max_output_bytes: int = 1024 * 1024
    stop_timeout: float = 5.0
    poll_interval: float = 0.05


@dataclass(frozen=True)
class _Checked:
    """A request that passed every check: what to run and how to show it."""

    path: str
    project: Path | str
    project_name: str
    entry_point: str
    parameters: dict[str, str]
    experiment_name: str | None
    env_manager: str


def _string(body: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = body.get(name, default)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        raise ProjectError(f"'{name}' must be a string, got {type(value).__name__}.", field=name)
    return value


def _check_env_manager(name: str) -> str:
    if name not in ENV_MANAGERS:
        raise ProjectError(
            f"Unknown env manager '{name}': use one of {', '.join(ENV_MANAGERS)}.",
            field="env_manager",
        )
    if not env_manager_available(name):
        raise ProjectError(
            f"The env manager '{name}' is not installed where the Jupyter server runs.",
            field="env_manager",
        )
    return name


class ProjectsManager:
    """Starts, queues, watches and stops the project executions of one Jupyter server."""

    def __init__(self, options: ProjectsOptions, log: logging.Logger | None = None) -> None:
        self.options = options
        self.log = log or logging.getLogger("trackside")
        self.store = ExecutionStore(options.state_dir, self.log)
        saved = [Execution.from_json(e, options.state_dir) for e in self.store.load()]
        self._executions: dict[str, Execution] = {e.id: e for e in saved}
        self._queue: deque[Execution] = deque()
        self._closed = False
        # Runs of executions a stopped Jupyter interrupted: still RUNNING in MLflow.
        self._orphaned_runs = [e.run_id for e in saved if e.interrupted and e.run_id]
        self._settling: asyncio.Task[None] | None = None
        if saved:
            self._save()  # the ones Jupyter's stop interrupted are failed now

    def start(self) -> None:
        """Mark KILLED the runs that Jupyter's last stop (a crash, SIGKILL) left RUNNING."""
        if self._orphaned_runs:
            self._settling = asyncio.get_running_loop().create_task(self._settle_orphans())

    async def _settle_orphans(self) -> None:
        deadline = time.monotonic() + SETTLE_DEADLINE
        left = list(self._orphaned_runs)
        while left and time.monotonic() < deadline:  # the embedded MLflow may be starting
            left = [r for r in left if await kill_run(self.options.upstream(), r) is not None]
            if left:
                await asyncio.sleep(SETTLE_RETRY)
        if left:
            self.log.warning("Trackside: runs left RUNNING by a stopped Jupyter: %s", left)

    # -- reading ------------------------------------------------------------------

    def list(self) -> list[Execution]:
        return sorted(self._executions.values(), key=lambda e: e.created, reverse=True)

    def get(self, execution_id: str) -> Execution:
        execution = self._executions.get(execution_id)
        if execution is None:
            raise GatewayError(
                404, "RESOURCE_DOES_NOT_EXIST", f"No project execution has the id {execution_id!r}."
            )
        return execution

    def _resolve(self, path: str) -> Path | str:
        """The project directory inside the root, or a remote URI if those are allowed."""
        try:
            return resolve_project(
                self.options.root_dir, path, allow_remote=self.options.allow_remote
            )
        except ProjectError as err:
            # A remote URI is a matter of permission, not a mistake: 403.
            refused_remote = is_remote(path) and not self.options.allow_remote
            raise ProjectRefusal(403 if refused_remote else 400, err) from err

    def spec(self, path: str) -> dict[str, Any]:
        """The project's MLproject as JSON, and which env managers can run it here."""
        project = self._resolve(path)
        try:
            if isinstance(project, str):
                raise ProjectError(
                    "A remote project's MLproject is only read when `mlflow run` fetches it.",
                    field="path",
                )
            spec = load_project(project)
        except ProjectError as err:
            raise ProjectRefusal(400, err) from err
        return {
            "project": spec.to_json(),
            "path": path,
            "env_managers": {name: env_manager_available(name) for name in ENV_MANAGERS},
        }

    def _check(self, body: Mapping[str, Any]) -> _Checked:
        path = body.get("path")
        if not isinstance(path, str) or not path:
            raise ProjectRefusal(
                400, ProjectError("'path' (the project's folder) is required.", field="path")
            )
        project = self._resolve(path)
        try:
            entry_name = _string(body, "entry_point", "main") or "main"
            experiment = _string(body, "experiment_name", None)
            env_manager = _check_env_manager(_string(body, "env_manager", "local") or "local")
            values = body.get("parameters") or {}
            if not isinstance(values, dict):
                raise ProjectError("'parameters' must be an object of strings.", field="parameters")
            if isinstance(project, str):
                # Remote: its MLproject is only known once `mlflow run` fetched it.
                name, parameters = project.rstrip("/").rsplit("/", 1)[-1], dict(values)
                if not all(isinstance(v, str) for v in parameters.values()):
                    raise ProjectError("Parameter values must be strings.", field="parameters")
            else:
                spec = load_project(project)
                name = spec.name
                parameters = check_parameters(spec.entry_point(entry_name), values)
        except ProjectError as err:
            raise ProjectRefusal(400, err) from err
        return _Checked(path, project, name, entry_name, parameters, experiment, env_manager)

    # -- starting -----------------------------------------------------------------

    async def submit(self, body: Mapping[str, Any]) -> Execution:
        """Check a run request and start it (or queue it); a bad one starts nothing."""
        checked = self._check(body)
        if self._closed:
            raise GatewayError(503, "TEMPORARILY_UNAVAILABLE", "The Jupyter server is stopping.")
        argv = mlflow_run_argv(
            checked.project,
            checked.entry_point,
            checked.parameters,
            experiment_name=checked.experiment_name,
            env_manager=checked.env_manager,
        )
        execution_id = secrets.token_hex(8)
        execution = Execution(
            id=execution_id,
            path=checked.path,
            project_name=checked.project_name,
            entry_point=checked.entry_point,
            parameters=checked.parameters,
            experiment_name=checked.experiment_name,
            env_manager=checked.env_manager,
            command=display_command(argv),
            log_path=self.options.state_dir / f"{execution_id}.log",
            argv=argv,
            cwd=checked.project if isinstance(checked.project, Path) else self.options.state_dir,
        )
        self._executions[execution.id] = execution
        self._forget_oldest()
        if self._has_free_slot():
            self._start(execution)
        else:
            self._queue.append(execution)
            self.log.info("Trackside: project execution %s queued", execution.id)
        self._save()
        return execution

    def _forget_oldest(self) -> None:
        excess = len(self._executions) - MAX_KEPT
        if excess <= 0:
            return
        ended = [e for e in reversed(self.list()) if e.state not in ACTIVE]
        for old in ended[:excess]:
            del self._executions[old.id]
            old.log_path.unlink(missing_ok=True)

    def _has_free_slot(self) -> bool:
        running = sum(1 for e in self._executions.values() if e.state is State.RUNNING)
        return running < max(self.options.max_running, 1)  # 0 would queue for ever

    def _environment(self) -> dict[str, str]:
        logging = self.options.environment()
        return mlflow_run_environment({**os.environ, **logging}, logging["MLFLOW_TRACKING_URI"])

    def _start(self, execution: Execution) -> None:
        self.options.state_dir.mkdir(parents=True, exist_ok=True)
        process = SupervisedProcess(
            execution.argv,
            cwd=execution.cwd or self.options.state_dir,
            log_path=execution.log_path,
            stop_timeout=self.options.stop_timeout,
            env=self._environment(),
        )
        execution.started = now_ms()
        try:
            process.spawn()
        except OSError as err:
            execution.end(State.FAILED, f"`mlflow run` could not be started: {err}")
            return
        execution.process, execution.state = process, State.RUNNING
        execution.task = asyncio.get_running_loop().create_task(self._watch(execution))
        execution.notify()
        self.log.info(
            "Trackside: project execution %s started (pid %s): %s",
            execution.id,
            process.pid,
            execution.command,
        )

    def _start_queued(self) -> None:
        while self._queue and not self._closed and self._has_free_slot():
            execution = self._queue.popleft()
            if execution.state is State.QUEUED:
                self._start(execution)
        self._save()

    # -- watching -----------------------------------------------------------------

    def _observe(self, execution: Execution) -> None:
        """Notice new output: wake the long polls, look for the run id."""
        size = log_size(execution.log_path)
        if size == execution.log_size:
            return
        execution.log_size = size
        if execution.run_id is None and execution.scanned < RUN_ID_SCAN_LIMIT:
            self._scan_for_run_id(execution, size)
        execution.notify()

    def _scan_for_run_id(self, execution: Execution, size: int) -> None:
        end = min(size, RUN_ID_SCAN_LIMIT)
        try:
            with open(execution.log_path, "rb") as handle:
                handle.seek(execution.scanned)
                data = handle.read(end - execution.scanned)
        except OSError:
            return
        match = RUN_ID.search(data.decode("utf-8", "replace"))
        if match:
            execution.run_id = match.group(1)
            self._save()
            return
        if end >= RUN_ID_SCAN_LIMIT:
            execution.scanned = RUN_ID_SCAN_LIMIT  # none in the first MiB: stop looking
        else:
            execution.scanned += data.rfind(b"\n") + 1  # the unfinished line again next time

    async def _watch(self, execution: Execution) -> None:
        try:
            await self._follow(execution)
        except Exception as err:  # never leave an execution "running" for ever
            self.log.exception("Trackside: lost track of project execution %s", execution.id)
            if execution.process is not None:
                await execution.process.terminate()
            execution.end(State.FAILED, f"Trackside lost track of it: {err!r}")
            self._start_queued()

    async def _follow(self, execution: Execution) -> None:
        process = execution.process
        assert process is not None
        while not process.exited():
            self._observe(execution)
            await asyncio.sleep(self.options.poll_interval)
        await process.terminate()  # whatever the command left in its group
        self._observe(execution)
        code = process.returncode
        execution.exit_code = code
        if code == 0:
            execution.end(State.FINISHED)
        else:
            tail = log_tail(execution.log_path).rstrip()
            execution.end(State.FAILED, f"`mlflow run` exited with code {code}.\n{tail}".rstrip())
        self.log.info("Trackside: project execution %s %s", execution.id, execution.state.value)
        self._start_queued()

    # -- output -------------------------------------------------------------------

    async def output(self, execution_id: str, offset: int, wait: float) -> tuple[OutputChunk, bool]:
        """The output after ``offset``, waiting up to ``wait`` s for some while it runs."""
        execution = self.get(execution_id)
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT)
        while True:
            changed = execution.changed  # taken before reading: no wake-up is missed
            done = execution.state not in ACTIVE
            chunk = read_output(
                execution.log_path, offset, self.options.max_output_bytes, complete=done
            )
            remaining = deadline - time.monotonic()
            if chunk.text or done or chunk.start > offset or remaining <= 0:
                return chunk, done
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    # -- stopping -----------------------------------------------------------------

    async def _halt(self, execution: Execution, message: str) -> None:
        """Stop a running execution's process group and its MLflow run."""
        if execution.task is not None and not execution.task.done():
            execution.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await execution.task
        if execution.process is not None:
            await execution.process.terminate()
            execution.exit_code = execution.process.returncode
        self._observe(execution)  # a run id printed just before the stop
        execution.end(State.STOPPED, message)
        self._save()
        if execution.run_id is not None:
            problem = await kill_run(self.options.upstream(), execution.run_id)
            if problem:
                execution.message = f"{message} {problem}"
                self._save()

    async def stop_execution(self, execution_id: str) -> Execution:
        """Stop one execution (its process group; its run becomes KILLED) or unqueue it."""
        execution = self.get(execution_id)
        if execution.state is State.QUEUED:
            with contextlib.suppress(ValueError):
                self._queue.remove(execution)
            execution.end(State.STOPPED, "Stopped before it started.")
            self._save()
        elif execution.state is State.RUNNING:
            await self._halt(execution, "Stopped.")
            self.log.info("Trackside: project execution %s stopped", execution.id)
            self._start_queued()
        return execution

    async def stop(self) -> None:
        """Stop every execution (the Jupyter server is stopping)."""
        self._closed = True
        if self._settling is not None and not self._settling.done():
            self._settling.cancel()
        for execution in list(self._queue):
            execution.end(State.STOPPED, "Jupyter stopped before it started.")
        self._queue.clear()
        running = [e for e in self._executions.values() if e.state is State.RUNNING]
        halts = [self._halt(e, "Stopped when Jupyter stopped.") for e in running]
        await asyncio.gather(*halts)
        self._save()

    # -- persistence --------------------------------------------------------------

    def _save(self) -> None:
        try:
            self.store.save([e.to_json() for e in self.list()])
        except OSError as err:
            self.log.error("Trackside: could not save %s: %s", self.store.path, err)
