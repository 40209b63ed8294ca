"""One project execution: what was asked, its state, and what supervises it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from ..supervised import SupervisedProcess


class State(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"


ACTIVE = (State.QUEUED, State.RUNNING)
INTERRUPTED = "Jupyter stopped while it ran"


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Execution:
    """An ``mlflow run``; ``to_json`` is what the REST API and ``executions.json`` hold."""

    id: str
    path: str
    project_name: str
    entry_point: str
    parameters: dict[str, str]
    experiment_name: str | None
    env_manager: str
    command: str
    log_path: Path
    state: State = State.QUEUED
    exit_code: int | None = None
    run_id: str | None = None
    created: int = field(default_factory=now_ms)
    started: int | None = None
    ended: int | None = None
    message: str = ""
    # In memory only: how to start it, and what watches it.
    argv: list[str] = field(default_factory=list)
    cwd: Path | None = None
    process: SupervisedProcess | None = None
    task: asyncio.Task[None] | None = None
    # Set (and replaced) whenever the output grows or the state changes: wakes long polls.
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    log_size: int = 0
    interrupted: bool = False  # was queued or running when Jupyter last stopped
    scanned: int = 0  # bytes of the log already searched for the run id

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def end(self, state: State, message: str = "") -> None:
        self.state, self.message, self.ended = state, message, now_ms()
        self.notify()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "project_name": self.project_name,
            "entry_point": self.entry_point,
            "parameters": dict(self.parameters),
            "experiment_name": self.experiment_name,
            "env_manager": self.env_manager,
            "command": self.command,
            "state": self.state.value,
            "exit_code": self.exit_code,
            "run_id": self.run_id,
            "created": self.created,
            "started": self.started,
            "ended": self.ended,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, entry: dict[str, Any], log_dir: Path) -> Execution:
        """A saved execution; one that was queued or running is now failed (Jupyter stopped)."""
        execution = cls(
            id=str(entry["id"]),
            path=str(entry.get("path", "")),
            project_name=str(entry.get("project_name", "")),
            entry_point=str(entry.get("entry_point", "")),
            parameters={str(k): str(v) for k, v in dict(entry.get("parameters") or {}).items()},
            experiment_name=entry.get("experiment_name"),
            env_manager=str(entry.get("env_manager", "local")),
            command=str(entry.get("command", "")),
            log_path=log_dir / f"{entry['id']}.log",
            exit_code=entry.get("exit_code"),
            run_id=entry.get("run_id"),
            created=int(entry.get("created") or 0),
            started=entry.get("started"),
            ended=entry.get("ended"),
            message=str(entry.get("message") or ""),
        )
        try:
            execution.state = State(entry.get("state"))
        except ValueError:
            execution.state = State.FAILED
        if execution.state in ACTIVE:
            execution.state, execution.message = State.FAILED, INTERRUPTED
            execution.interrupted = True
            execution.ended = execution.ended or now_ms()
        return execution
