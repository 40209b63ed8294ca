"""A team's MLflow set-up for the tests: PostgreSQL, S3 (moto's server) and ``mlflow server``.

Everything here is throw-away and local: a PostgreSQL cluster started from Debian's server
binaries as the ``postgres`` user on a free port, moto's S3 server on a free port, and an
``mlflow server --workers 4`` on top of both. Each context manager stops what it started
when it exits, also when the body raises; an atexit hook is the last resort when the
interpreter ends before a context manager could.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from trackside.server.probe import free_port, port_is_free
from trackside.server.process_group import group_members
from trackside.server.supervised import log_tail

from .servers import (
    HOST,
    START_TIMEOUT,
    LoggedProcess,
    MlflowServer,
    owing,
    serve_mlflow,
    spawn_logged,
)

POSTGRES_USER = "postgres"
POSTGRES_BINARIES = Path("/usr/lib/postgresql")
# Credentials moto accepts and nothing else does; the server and the tests use the same.
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "trackside-test",
    "AWS_SECRET_ACCESS_KEY": "trackside-test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class PostgresMissing(RuntimeError):
    pass


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL server's bin folder (where ``initdb`` and ``pg_ctl`` are)."""

    def version(initdb: Path) -> int:
        name = initdb.parent.parent.name  # /usr/lib/postgresql/<version>/bin/initdb
        return int(name) if name.isdigit() else 0

    found = sorted(POSTGRES_BINARIES.glob("*/bin/initdb"), key=version)
    if not found:
        raise PostgresMissing(
            "PostgreSQL's server binaries are missing "
            f"(no initdb under {POSTGRES_BINARIES}/*/bin): run `scripts/dev test`, "
            "which installs Debian's postgresql package, or `apt-get install postgresql`"
        )
    return found[-1].parent


@dataclass
class PostgresCluster:
    port: int
    data_dir: Path
    log: Path
    postmaster_pid: int
    host: str = HOST
    user: str = POSTGRES_USER

    def uri(self, database: str = "mlflow") -> str:
        # The driver is named: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3.
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "mlflow"):  # -> psycopg2 connection; close it when done
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname=database, connect_timeout=10
        )

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its SQLAlchemy URI."""
        from psycopg2 import sql

        connection = self.connect("postgres")
        try:
            connection.autocommit = True  # CREATE DATABASE refuses to run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            connection.close()
        return self.uri(name)

    def processes(self) -> list[psutil.Process]:
        """The postmaster and every backend it forked (each backend is its own process group)."""
        try:
            postmaster = psutil.Process(self.postmaster_pid)
            return [postmaster, *postmaster.children(recursive=True)]
        except psutil.Error:
            return []


def _as_postgres(command: Sequence[str]) -> list[str]:
    # initdb and the server refuse to run as root; as anyone else they run as that user.
    if os.geteuid() == 0:
        return ["runuser", "-u", POSTGRES_USER, "--", *command]
    return list(command)


def _run(command: Sequence[str], what: str, log: Path | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=START_TIMEOUT)
    if result.returncode != 0:
        detail = (result.stdout + result.stderr).strip()
        if log is not None:
            detail += "\n" + log_tail(log, 30)
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{detail}")


# The cluster is thrown away at the end, so crash safety buys nothing: no fsync, no
# full-page writes, no waiting for WAL flushes; start-up and every commit get cheaper.
_SERVER_SETTINGS = """
listen_addresses = '{host}'
port = {port}
unix_socket_directories = ''
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
"""

# Trust, but only over TCP from this machine (no Unix socket, no other address).
_HBA = "host all all 127.0.0.1/32 trust\n"


@contextmanager
def postgres_cluster(root: Path, database: str = "mlflow") -> Iterator[PostgresCluster]:
    """A throw-away PostgreSQL cluster on a free port, with an empty database ``database``.

    The data folder is a temporary folder of the ``postgres`` user, outside ``root`` (pytest's
    folders are private to root, where ``postgres`` may not enter); its log is copied to
    ``root/postgres.log`` when the cluster stops.
    """
    bin_dir = postgres_bin()
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="trackside-pg-"))
    data_dir, log = folder / "data", folder / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(folder, POSTGRES_USER, POSTGRES_USER)
    port = free_port(HOST)
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data_dir)]

    def stop() -> None:
        postmaster = _postmaster_pid(data_dir)
        if postmaster is not None:
            subprocess.run(
                _as_postgres([*pg_ctl, "stop", "-m", "immediate", "-w", "-t", "30"]),
                capture_output=True,
                timeout=60,
            )
            _kill_tree(postmaster)
        if log.exists():
            shutil.copyfile(log, root / "postgres.log")
        shutil.rmtree(folder, ignore_errors=True)

    with owing(stop):
        initdb = [
            str(bin_dir / "initdb"), "-D", str(data_dir), "-U", POSTGRES_USER,
            "--auth=trust", "--encoding=UTF8", "--locale=C",
            # no fsync of the fresh files: the cluster never outlives the tests
            "--no-sync", "--no-instructions",
        ]  # fmt: skip
        _run(_as_postgres(initdb), "initdb")
        with open(data_dir / "postgresql.conf", "a") as conf:
            conf.write(_SERVER_SETTINGS.format(host=HOST, port=port))
        (data_dir / "pg_hba.conf").write_text(_HBA)
        _run(
            _as_postgres([*pg_ctl, "-l", str(log), "-w", "-t", str(int(START_TIMEOUT)), "start"]),
            "pg_ctl start",
            log,
        )
        postmaster = _postmaster_pid(data_dir)
        if postmaster is None:
            raise RuntimeError(
                f"PostgreSQL started but wrote no postmaster.pid:\n{log_tail(log, 30)}"
            )
        cluster = PostgresCluster(port=port, data_dir=data_dir, log=log, postmaster_pid=postmaster)
        cluster.create_database(database)
        yield cluster


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and everything it forked, and wait until they are gone."""
    try:
        parent = psutil.Process(pid)
        tree = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return
    for proc in tree:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(tree, timeout=10)


@dataclass
class MotoS3:
    endpoint_url: str
    bucket: str
    process: subprocess.Popen[bytes]

    def server_env(self) -> dict[str, str]:
        """What a process needs to use this S3 (MLflow's S3 client reads these)."""
        return {"MLFLOW_S3_ENDPOINT_URL": self.endpoint_url, **DUMMY_AWS}

    def client(self):  # -> botocore S3 client (boto3 ships no static type for it)
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"],
            region_name=DUMMY_AWS["AWS_DEFAULT_REGION"],
        )

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key in the bucket under ``prefix``."""
        paginator = self.client().get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@contextmanager
def moto_s3(root: Path, bucket: str = "mlflow") -> Iterator[MotoS3]:
    """moto's S3 server on a free port, in its own process group, with an empty ``bucket``."""
    port = free_port(HOST)
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    with spawn_logged(command, root, "moto.log") as running:
        s3 = MotoS3(endpoint_url=f"http://{HOST}:{port}", bucket=bucket, process=running.process)
        _create_bucket(s3, running)
        yield s3


def _create_bucket(s3: MotoS3, running: LoggedProcess) -> None:
    from botocore.exceptions import EndpointConnectionError

    deadline = time.monotonic() + START_TIMEOUT
    client = s3.client()
    while True:
        if s3.process.poll() is not None:
            raise RuntimeError(
                f"moto's server exited with {s3.process.returncode}:\n{running.tail()}"
            )
        try:
            client.create_bucket(Bucket=s3.bucket)
            return
        except EndpointConnectionError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"moto's server did not answer at {s3.endpoint_url}") from None
            time.sleep(0.2)


def team_mlflow_server(
    root: Path,
    cluster: PostgresCluster,
    s3: MotoS3,
    port: int | None = None,
    workers: int = 4,
    extra_args: Sequence[str] = (),
    *,
    database: str = "mlflow",
    prefix: str = "mlartifacts",
) -> AbstractContextManager[MlflowServer]:
    """``mlflow server`` on ``cluster``'s ``database``, artifacts in ``s3`` under ``prefix``."""
    return serve_mlflow(
        root,
        port or free_port(HOST),
        cluster.uri(database),
        f"s3://{s3.bucket}/{prefix}",
        workers=workers,
        # uvicorn kills a worker that does not answer its ping within 5 s and starts another;
        # on a loaded 2-core runner, 4 workers importing MLflow at once take longer than that.
        extra_args=["--uvicorn-opts", "--timeout-worker-healthcheck 60", *extra_args],
        env=s3.server_env(),
    )


ServerStarter = Callable[[int], AbstractContextManager[MlflowServer]]


@dataclass
class TrackingBackend:
    """A real ``mlflow server`` a test may kill and restart on the same port and stores."""

    name: str  # "sqlite" or "postgresql"
    url: str
    port: int
    start: ServerStarter = field(repr=False)
    server: MlflowServer | None = field(default=None, init=False, repr=False)
    _running: ExitStack = field(default_factory=ExitStack, init=False, repr=False)

    @classmethod
    @contextmanager
    def run(
        cls, name: str, start: ServerStarter, port: int | None = None
    ) -> Iterator[TrackingBackend]:
        """Start the server with ``start(port)``; stop it when the block ends."""
        port = port or free_port(HOST)
        backend = cls(name=name, url=f"http://{HOST}:{port}", port=port, start=start)
        with owing(backend._stop):
            backend.restart()
            yield backend

    def kill(self) -> None:
        """SIGKILL the server's whole process group; return once its port is closed."""
        if self.server is not None:
            pgid = self.server.process.pid
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            psutil.wait_procs(group_members(pgid), timeout=10)
        self._stop()
        _wait_port_closed(self.port)

    def restart(self) -> None:
        """Start the server again (killing it first if it still runs); wait until healthy."""
        if self.server is not None:
            self.kill()
        self.server = self._running.enter_context(self.start(self.port))

    def ensure_running(self) -> None:
        """Restart the server if a test killed it (or it died) and left it down."""
        if self.server is None or self.server.process.poll() is not None:
            self.restart()

    def _stop(self) -> None:
        self.server = None
        self._running.close()


def _wait_port_closed(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not port_is_free(HOST, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} still taken after the server was killed")
        time.sleep(0.05)
