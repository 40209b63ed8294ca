"""Served models: each one ``mlflow models serve`` child of the Jupyter server, supervised.

A served model is started under the parent-death watchdog in a process group of its own
(``SupervisedProcess``, as the embedded tracking server is), on 127.0.0.1 and a free port,
with the backend's tracking and registry URIs. It is ``starting`` until its scoring server
answers ``/ping``, then ``ready``; ``failed`` when its process exits (a crash, ``kill -9``)
or it is not ready within the startup timeout, with the reason and its log's tail;
``stopped`` once asked to stop. Nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from ..gateway import GatewayError
from ..mlflow_validators import load as load_mlflow_validators
from ..probe import free_port
from ..supervised import SupervisedProcess, log_tail
from .predict import invoke
from .validation import ModelVersionRef, model_version_ref

LOOPBACK = "127.0.0.1"
PING_INTERVAL = 0.1  # a refused connection costs next to nothing; readiness shows sooner


class State(str, Enum):
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


ACTIVE = (State.STARTING, State.READY)


@dataclass(frozen=True)
class ServingOptions:
    # Logs go to ``<state_dir>/<id>.log``.
    state_dir: Path
    # MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI of the backend, added to the server's own.
    environment: Mapping[str, str] = field(default_factory=dict)
    max_served: int = 3
    startup_timeout: float = 180.0
    stop_timeout: float = 5.0
    watch_interval: float = 0.5


@dataclass
class Served:
    """One served model version, as ``GET serving`` shows it (plus what supervises it)."""

    id: str
    ref: ModelVersionRef
    port: int
    log_path: Path
    process: SupervisedProcess
    started_at: int = field(default_factory=lambda: int(time.time() * 1000))
    state: State = State.STARTING
    ready_at: int | None = None
    message: str | None = None
    task: asyncio.Task[None] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.ref.name,
            "version": self.ref.version,
            "model_uri": self.ref.model_uri,
            "state": self.state.value,
            "port": self.port if self.state in ACTIVE else None,
            # The watchdog's pid: the process group that holds the model server.
            "pid": self.process.pid if self.state in ACTIVE else None,
            "started_at": self.started_at,
            "ready_at": self.ready_at,
            "message": self.message,
            "log_tail": log_tail(self.log_path),
        }

    @property
    def label(self) -> str:
        return f"'{self.ref.name}' version {self.ref.version}"


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(its log is empty)"


async def _answers_ping(port: int) -> bool:
    request = HTTPRequest(
        f"http://{LOOPBACK}:{port}/ping",
        follow_redirects=False,
        connect_timeout=2.0,
        request_timeout=2.0,
    )
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, HTTPClientError):
        return False
    return response.code == 200


class ServingManager:
    """Starts, watches, calls and stops the served models of one Jupyter server."""

    def __init__(self, options: ServingOptions, log: logging.Logger | None = None) -> None:
        self.options = options
        self.log = log or logging.getLogger("trackside")
        self._served: dict[str, Served] = {}
        self._closed = False

    # -- reading ------------------------------------------------------------------

    def list(self) -> list[Served]:
        return list(self._served.values())

    def get(self, served_id: str) -> Served:
        served = self._served.get(served_id)
        if served is None:
            raise GatewayError(
                404, "RESOURCE_DOES_NOT_EXIST", f"No served model has the id {served_id!r}."
            )
        return served

    # -- starting -----------------------------------------------------------------

    async def serve(self, name: object, version: object) -> Served:
        """Start serving a registered model version (or return the one already served)."""
        await load_mlflow_validators()
        ref = model_version_ref(name, version)
        if self._closed:
            raise GatewayError(503, "TEMPORARILY_UNAVAILABLE", "The Jupyter server is stopping.")
        # No await from here on: two requests for one version cannot both start it.
        active = [s for s in self._served.values() if s.state in ACTIVE]
        for served in active:
            if served.ref == ref:
                return served
        if len(active) >= self.options.max_served:
            names = ", ".join(s.label for s in active)
            raise GatewayError(
                409,
                "RESOURCE_CONFLICT",
                f"{len(active)} models are being served, the most allowed "
                f"(c.Trackside.max_served_models = {self.options.max_served}). "
                f"Stop one of them first: {names}.",
            )
        for old in [s for s in self._served.values() if s.ref == ref]:
            del self._served[old.id]  # a failed or stopped try of the same version
        served = self._spawn(ref)
        self._served[served.id] = served
        served.task = asyncio.get_running_loop().create_task(self._supervise(served))
        return served

    def _spawn(self, ref: ModelVersionRef) -> Served:
        served_id = secrets.token_hex(8)
        port = free_port(LOOPBACK)
        log_path = self.options.state_dir / f"{served_id}.log"
        command = [
            sys.executable, "-m", "mlflow", "models", "serve",
            "-m", ref.model_uri, "--env-manager", "local",
            "-h", LOOPBACK, "-p", str(port),
        ]  # fmt: skip
        process = SupervisedProcess(
            command,
            cwd=self.options.state_dir,
            log_path=log_path,
            stop_timeout=self.options.stop_timeout,
            env=self._environment(),
        )
        process.spawn()
        self.log.info("Trackside: serving %s on port %d (pid %s)", ref.model_uri, port, process.pid)
        return Served(id=served_id, ref=ref, port=port, log_path=log_path, process=process)

    def _environment(self) -> dict[str, str]:
        env = {**os.environ, **self.options.environment}
        # `mlflow models serve` execs `uvicorn` by name: find the one beside this Python even
        # when Jupyter was started by its full path, with the environment's bin/ not on PATH.
        bin_dir = os.path.dirname(sys.executable)
        env["PATH"] = os.pathsep.join([bin_dir, *filter(None, [env.get("PATH")])])
        return env

    # -- supervision --------------------------------------------------------------

    async def _supervise(self, served: Served) -> None:
        deadline = time.monotonic() + self.options.startup_timeout
        while not await _answers_ping(served.port) or served.process.exited():
            if served.process.exited():
                why = _describe_exit(served.process.returncode)
                await self._fail(served, f"the model server {why} before it was ready")
                return
            if time.monotonic() > deadline:
                timeout = self.options.startup_timeout
                await self._fail(
                    served, f"the model server was not ready {timeout:.0f} s after start"
                )
                return
            await asyncio.sleep(PING_INTERVAL)
        served.state, served.ready_at = State.READY, int(time.time() * 1000)
        self.log.info("Trackside: %s is ready on port %d", served.ref.model_uri, served.port)
        while not served.process.exited():
            await asyncio.sleep(self.options.watch_interval)
        await self._fail(served, f"the model server {_describe_exit(served.process.returncode)}")

    async def _fail(self, served: Served, reason: str) -> None:
        await served.process.terminate()  # whatever is left of its process group
        served.state = State.FAILED
        served.message = (
            f"Serving {served.label} failed: {reason}. "
            f"Last line of its log ({served.log_path}): {_last_line(log_tail(served.log_path))}"
        )
        self.log.error("Trackside: %s", served.message)

    # -- calling ------------------------------------------------------------------

    async def predict(self, served_id: str, body: bytes) -> dict[str, Any]:
        served = self.get(served_id)
        if served.state is not State.READY:
            raise GatewayError(
                409,
                "RESOURCE_CONFLICT",
                f"{served.label} is {served.state.value}, not ready for predictions."
                + (f" {served.message}" if served.message else ""),
            )
        return await invoke(served.port, body)

    # -- stopping -----------------------------------------------------------------

    async def _halt(self, served: Served) -> None:
        if served.task is not None and not served.task.done():
            served.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await served.task
        await served.process.terminate()
        if served.state in ACTIVE:
            served.state, served.message = State.STOPPED, None

    async def stop_served(self, served_id: str) -> Served:
        """Stop one served model (SIGTERM, then SIGKILL) and forget it."""
        served = self.get(served_id)
        del self._served[served_id]
        await self._halt(served)
        self.log.info("Trackside: stopped serving %s", served.ref.model_uri)
        return served

    async def stop(self) -> None:
        """Stop every served model (the Jupyter server is stopping)."""
        self._closed = True
        await asyncio.gather(*(self._halt(s) for s in list(self._served.values())))
