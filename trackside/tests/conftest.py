from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from trackside.kernel.journal.durable import DurableLogging

from .servers import MlflowServer, mlflow_server
from .team_backend import (
    MotoS3,
    PostgresCluster,
    PostgresMissing,
    TrackingBackend,
    moto_s3,
    postgres_bin,
    postgres_cluster,
    team_mlflow_server,
)

pytest_plugins = ["pytest_jupyter.jupyter_server", "trackside.tests.reliability.plugin"]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def real_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """One real ``mlflow server`` subprocess shared by the gateway tests."""
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as server:
        yield server


@pytest.fixture
def uri(real_mlflow: MlflowServer) -> Iterator[str]:
    """The shared real server as this process's MLflow tracking URI; open runs ended after."""
    import mlflow

    mlflow.set_tracking_uri(real_mlflow.url)
    yield real_mlflow.url
    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture
def durable(uri: str, tmp_path: Path) -> Iterator[DurableLogging]:
    """Durable logging (hook + fast path + journal + sender) against ``uri``, removed after."""
    import mlflow
    from mlflow.tracking import fluent

    from trackside.kernel import fast_path, mlflow_hook
    from trackside.kernel.journal import durable as durable_module

    logging = DurableLogging(journal_dir=tmp_path / "journal", flush_timeout=30)
    logging.install()
    yield logging
    logging.uninstall()
    assert durable_module.active() is None and not mlflow_hook.installed()
    assert not fast_path.installed() and mlflow.log_metric is fluent.log_metric


@dataclass
class TeamStores:
    """The PostgreSQL cluster and the S3 store every postgresql backend of the session uses."""

    cluster: PostgresCluster
    s3: MotoS3
    _fresh: Iterator[int] = field(default_factory=itertools.count)

    def fresh_names(self) -> tuple[str, str]:
        """A new database name and artifact prefix, for a backend that shares nothing."""
        n = next(self._fresh)
        return f"mlflow_fresh_{n}", f"fresh-{n}"


@pytest.fixture(scope="session")
def team_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamStores]:
    try:
        postgres_bin()
    except PostgresMissing as err:
        # A missing PostgreSQL fails the postgresql tests; it never turns them into skips.
        pytest.fail(str(err), pytrace=False)
    root = tmp_path_factory.mktemp("team")
    with postgres_cluster(root / "postgres") as cluster, moto_s3(root / "s3") as s3:
        yield TeamStores(cluster=cluster, s3=s3)


def open_backend(
    request: pytest.FixtureRequest, name: str, root: Path, port: int | None, fresh: bool
) -> AbstractContextManager[TrackingBackend]:
    """A ``TrackingBackend`` of kind ``name``; a fresh postgresql one gets its own database."""
    if name == "sqlite":
        return TrackingBackend.run(name, lambda p: mlflow_server(root, port=p), port)
    stores: TeamStores = request.getfixturevalue("team_stores")
    database, prefix = "mlflow", "mlartifacts"
    if fresh:
        database, prefix = stores.fresh_names()
        stores.cluster.create_database(database)

    def start(p: int) -> AbstractContextManager[MlflowServer]:
        return team_mlflow_server(
            root, stores.cluster, stores.s3, port=p, database=database, prefix=prefix
        )

    return TrackingBackend.run(name, start, port)


@pytest.fixture(scope="session", params=BACKENDS, ids=BACKENDS)
def tracking_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingBackend]:
    """The session's MLflow server of each kind: SQLite (1 worker) and PostgreSQL + S3 (4)."""
    root = tmp_path_factory.mktemp(f"backend-{request.param}")
    with open_backend(request, request.param, root, port=None, fresh=False) as backend:
        yield backend


@pytest.fixture(autouse=True)
def _revive_tracking_backend(request: pytest.FixtureRequest) -> Iterator[None]:
    # A test that kills the shared server and fails before restarting it must not take
    # the tests after it down too.
    backend = (
        request.getfixturevalue("tracking_backend")
        if "tracking_backend" in request.fixturenames
        else None
    )
    yield
    if backend is not None:
        backend.ensure_running()


@dataclass
class BackendFactory:
    """Starts fresh backends of one kind for one test; all stopped when the test ends."""

    name: str
    _request: pytest.FixtureRequest = field(repr=False)
    _tmp_path: Path = field(repr=False)
    _stack: ExitStack = field(repr=False)
    _count: Iterator[int] = field(default_factory=itertools.count, repr=False)

    def __call__(self, port: int | None = None) -> TrackingBackend:
        root = self._tmp_path / f"{self.name}-{next(self._count)}"
        return self._stack.enter_context(
            open_backend(self._request, self.name, root, port=port, fresh=True)
        )


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def fresh_tracking_backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[BackendFactory]:
    """``fresh_tracking_backend(port=None)`` starts a server with stores of its own.

    Each call costs a server start (a postgresql one: a new database and artifact prefix on
    the session's cluster and S3, then ``mlflow server --workers 4``); prefer
    ``tracking_backend.kill()/restart()`` when sharing is fine. Taking both fixtures runs
    the test for every pair of kinds.
    """
    with ExitStack() as stack:
        yield BackendFactory(request.param, request, tmp_path, stack)


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    # The server extension exports MLFLOW_TRACKING_URI for kernels; keep tests apart.
    saved = dict(os.environ)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def backend_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    return root
