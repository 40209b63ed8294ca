"""Which MLflow server Trackside uses, and the embedded one's whole life.

Resolution, done once when the server extension loads (fast, no waiting on MLflow):

1. a configured tracking URI (``c.Trackside.tracking_uri``, else ``MLFLOW_TRACKING_URI``)
   is used as it is: mode ``external``;
2. else an MLflow server already answering on the embedded port is adopted: mode ``adopted``;
3. else ``mlflow server`` (SQLite + served artifacts in ``root_dir``) is started in
   the background and supervised: mode ``embedded``.

The embedded server runs MLflow's basic-auth app with random credentials of its own and
refuses cross-origin requests (``embedded_app``, ``embedded_auth``): it is the Jupyter
server's and its kernels' only, not any web page's nor any other local user's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from ..retry import Backoff
from . import process_group
from .backend_folder import ARTIFACTS_DIR_NAME, DB_NAME, STATE_DIR_NAME
from .embedded_auth import (
    EmbeddedCredentials,
    auth_dir,
    create_credentials,
    load_credentials,
    server_environment,
)
from .history_store import StoreHistoryReader, prepare_history_query
from .probe import ProbeResult, free_port, port_is_free, probe, probe_sync
from .supervised import SupervisedProcess, log_tail
from .upstream import Upstream, upstream_from_uri

LOOPBACK = "127.0.0.1"
PIDFILE_NAME = "backend.json"
LOG_NAME = "mlflow-server.log"
# The ``mlflow.app`` entry point of ``embedded_app.create_app`` (pyproject.toml).
EMBEDDED_APP_NAME = "trackside-embedded"
# A server that was just started, or is busy, can take seconds for its first
# experiments/search; giving up sooner would start a second server beside it.
ADOPT_PROBE_TIMEOUT = 5.0


class Mode(str, Enum):
    EMBEDDED = "embedded"
    ADOPTED = "adopted"
    EXTERNAL = "external"


class State(str, Enum):
    STARTING = "starting"
    READY = "ready"
    RESTARTING = "restarting"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class BackendOptions:
    tracking_uri: str | None
    # The embedded server's mlflow.db and mlartifacts/.
    root_dir: Path
    # Its pidfile and log; None: ``root_dir/.trackside``.
    state_dir: Path | None = None
    port: int = 5000
    adopt_existing: bool = True
    health_interval: float = 5.0
    unhealthy_after: int = 3
    startup_timeout: float = 120.0
    stop_timeout: float = 5.0
    max_restarts: int = 5
    min_uptime: float = 30.0
    backoff_base: float = 1.0
    backoff_max: float = 30.0


@dataclass(frozen=True)
class BackendStatus:
    tracking_uri: str
    mode: str
    healthy: bool
    mlflow_version: str | None
    state: str
    message: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class BackendManager:
    """Owns the choice of upstream and, in embedded mode, the ``mlflow server`` process."""

    def __init__(self, options: BackendOptions, log: logging.Logger | None = None) -> None:
        self.options = options
        self.log = log or logging.getLogger("trackside")
        self.state_dir = options.state_dir or options.root_dir / STATE_DIR_NAME
        # The embedded (or adopted embedded) server's login; None for other servers.
        self._credentials: EmbeddedCredentials | None = None
        self.mode, self.upstream = self._resolve()
        self._state = State.STARTING if self.mode is Mode.EMBEDDED else State.READY
        self._message: str | None = (
            "Starting the embedded MLflow server…" if self.mode is Mode.EMBEDDED else None
        )
        self._process: SupervisedProcess | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._history_prepared = False
        self.restarts = 0

    # -- resolution ---------------------------------------------------------------

    def _resolve(self) -> tuple[Mode, Upstream]:
        configured = self.options.tracking_uri
        if configured:
            return Mode.EXTERNAL, upstream_from_uri(configured)
        self._clean_stale()
        port = self.options.port
        if self.options.adopt_existing and not port_is_free(LOOPBACK, port):
            url = f"http://{LOOPBACK}:{port}"
            credentials = self._sibling_credentials(url, port)
            candidate = self._upstream(url, credentials)
            if probe_sync(candidate, timeout=ADOPT_PROBE_TIMEOUT).is_mlflow:
                self.log.info("Trackside: adopting the MLflow server on %s", candidate.base_url)
                self._credentials = credentials
                return Mode.ADOPTED, candidate
        if not port_is_free(LOOPBACK, port):
            taken = port
            port = free_port(LOOPBACK)
            self.log.info("Trackside: port %d is taken by something else; using %d", taken, port)
        self._credentials = create_credentials(auth_dir(self.state_dir, port))
        return Mode.EMBEDDED, self._upstream(f"http://{LOOPBACK}:{port}", self._credentials)

    @staticmethod
    def _upstream(url: str, credentials: EmbeddedCredentials | None) -> Upstream:
        environ = credentials.client_environment() if credentials else {}
        return upstream_from_uri(url, environ=environ)

    def _sibling_credentials(self, url: str, port: int) -> EmbeddedCredentials | None:
        """The login of the embedded server at ``url`` if a live Jupyter server started
        it from our state folder; only then are credentials sent to that port."""
        try:
            record = json.loads(self.pidfile.read_text())
            owner, uri = int(record["owner"]), str(record["uri"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if uri != url or not process_group.is_alive(owner):
            return None
        return load_credentials(auth_dir(self.state_dir, port))

    @property
    def history_store(self) -> StoreHistoryReader | None:
        """The embedded server's own store, read directly for metric histories."""
        if self.mode is not Mode.EMBEDDED:
            return None
        return StoreHistoryReader(self.options.root_dir / DB_NAME)

    @property
    def pidfile(self) -> Path:
        return self.state_dir / PIDFILE_NAME

    @property
    def log_path(self) -> Path:
        return self.state_dir / LOG_NAME

    def _clean_stale(self) -> None:
        """Stop an embedded server left behind by a Jupyter server that died."""
        try:
            record = json.loads(self.pidfile.read_text())
            owner, pgid = int(record["owner"]), int(record["pgid"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        if owner != os.getpid() and process_group.is_alive(owner):
            return  # another live Jupyter server manages it
        stale = [
            proc.pid
            for proc in process_group.group_members(pgid)
            if "mlflow" in process_group.cmdline(proc.pid)
            or "trackside.server.watchdog" in process_group.cmdline(proc.pid)
        ]
        if stale:
            self.log.warning("Trackside: stopping a stale MLflow server (pids %s)", stale)
            process_group.stop_group(pgid, grace=self.options.stop_timeout)
        self.pidfile.unlink(missing_ok=True)

    def kernel_environment(self) -> dict[str, str]:
        """What kernels need in their environment to log to this backend."""
        uri = self.options.tracking_uri or self.upstream.base_url
        # MLflow's default registry is the tracking server too; naming it spares every
        # MlflowClient() a failing probe for Databricks/Spark (~100 µs per log call).
        environment = {"MLFLOW_TRACKING_URI": uri, "MLFLOW_REGISTRY_URI": uri}
        if self._credentials is not None:
            environment.update(self._credentials.client_environment())
        return environment

    # -- status -------------------------------------------------------------------

    async def status(self) -> BackendStatus:
        result: ProbeResult = await probe(self.upstream)
        state, message = self._state, self._message
        if self.mode is not Mode.EMBEDDED:
            state = State.READY if result.healthy else State.UNREACHABLE
            message = None if result.healthy else self._unreachable_message(result)
        elif state is State.READY and not result.healthy:
            state, message = State.UNREACHABLE, self._unreachable_message(result)
        return BackendStatus(
            tracking_uri=self.upstream.public_uri,
            mode=self.mode.value,
            healthy=result.healthy,
            mlflow_version=result.version,
            state=state.value,
            message=message,
        )

    def _unreachable_message(self, result: ProbeResult) -> str:
        return f"The MLflow server at {self.upstream.public_uri} does not answer: {result.error}"

    def _set_state(self, state: State, message: str | None = None) -> None:
        self._state, self._message = state, message
        level = logging.ERROR if state is State.FAILED else logging.INFO
        self.log.log(
            level, "Trackside backend: %s%s", state.value, f" — {message}" if message else ""
        )

    # -- embedded lifecycle -------------------------------------------------------

    def start(self) -> None:
        """Start supervising in the background (embedded mode only; idempotent)."""
        if self.mode is Mode.EMBEDDED and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._supervise())

    @property
    def pid(self) -> int | None:
        """Pid of the watchdog whose process group holds the embedded server."""
        return self._process.pid if self._process else None

    @property
    def _auth_dir(self) -> Path:
        return auth_dir(self.state_dir, int(self.upstream.base_url.rsplit(":", 1)[1]))

    def _command(self) -> list[str]:
        root = self.options.root_dir
        port = self.upstream.base_url.rsplit(":", 1)[1]
        return [
            sys.executable, "-m", "mlflow", "server",
            "--app-name", EMBEDDED_APP_NAME,
            "--backend-store-uri", f"sqlite:///{root / DB_NAME}",
            "--artifacts-destination", str(root / ARTIFACTS_DIR_NAME),
            "--host", LOOPBACK,
            "--port", port,
            "--workers", "1",
            "--allowed-hosts", f"{LOOPBACK}:{port},localhost:{port}",
        ]  # fmt: skip

    def _spawn(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.options.root_dir.mkdir(parents=True, exist_ok=True)
        assert self._credentials is not None  # made in _resolve for embedded mode
        self._process = SupervisedProcess(
            self._command(),
            cwd=self.options.root_dir,
            log_path=self.log_path,
            stop_timeout=self.options.stop_timeout,
            # Credentials in the environment (only its owner can read it), never in argv.
            env={**os.environ, **server_environment(self._auth_dir, self._credentials)},
        )
        self._process.spawn()
        record = {"owner": os.getpid(), "pgid": self._process.pid, "uri": self.upstream.base_url}
        self.pidfile.write_text(json.dumps(record))

    def _exited(self) -> bool:
        return self._process is None or self._process.exited()

    async def _sleep_or_stop(self, seconds: float) -> bool:
        """Sleep; True if a stop was requested meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        return self._stopping.is_set()

    async def _wait_until_healthy(self) -> bool:
        deadline = time.monotonic() + self.options.startup_timeout
        while time.monotonic() < deadline and not self._exited():
            if (await probe(self.upstream)).healthy:
                return True
            if await self._sleep_or_stop(0.25):
                return False
        return False

    async def _watch(self) -> str:
        """Return why the server stopped being usable."""
        misses = 0
        while not await self._sleep_or_stop(self.options.health_interval):
            if self._exited():
                return f"the MLflow server exited with code {self._process_returncode()}"
            misses = 0 if (await probe(self.upstream)).healthy else misses + 1
            if misses >= self.options.unhealthy_after:
                return f"the MLflow server failed {misses} health checks in a row"
        return "stopped"

    def _process_returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    async def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            self._spawn()
            healthy = await self._wait_until_healthy()
            if self._stopping.is_set():
                return
            if healthy:
                self._set_state(State.READY)
                if not self._history_prepared:
                    # MLflow's table model takes ~1.5 s to import: not in the
                    # first chart's request, and not during JupyterLab's start-up.
                    self._history_prepared = True
                    asyncio.get_running_loop().run_in_executor(None, prepare_history_query)
                reason = await self._watch()
                if self._stopping.is_set():
                    return
            elif self._exited():
                reason = f"the MLflow server exited with code {self._process_returncode()}"
            else:
                timeout = self.options.startup_timeout
                reason = f"the MLflow server was not healthy {timeout:.0f}s after start"
            await self._terminate()
            lasted = time.monotonic() - started
            failures = 0 if healthy and lasted >= self.options.min_uptime else failures + 1
            if failures >= self.options.max_restarts:
                self._set_state(
                    State.FAILED,
                    f"The embedded MLflow server failed {failures} times in a row ({reason}); "
                    f"Trackside stopped restarting it. Its log is {self.log_path}:\n"
                    + self.log_tail(),
                )
                return
            restart = Backoff(self.options.backoff_base, self.options.backoff_max, jitter=0.2)
            delay = restart.delay(max(failures - 1, 0))
            self.restarts += 1
            self._set_state(
                State.RESTARTING, f"Restarting the MLflow server in {delay:.0f}s: {reason}."
            )
            if await self._sleep_or_stop(delay):
                return

    def log_tail(self, lines: int = 15) -> str:
        return log_tail(self.log_path, lines)

    async def _terminate(self) -> None:
        if self._process is not None:
            await self._process.terminate()

    async def stop(self) -> None:
        """Stop supervising and stop the embedded server (SIGTERM, then SIGKILL)."""
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=1.0)
            if not self._task.done():
                self._task.cancel()
        await self._terminate()
        if self._process is not None:
            self.pidfile.unlink(missing_ok=True)
