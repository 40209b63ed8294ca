"""The backends fixture and the team set-up (PostgreSQL + moto's S3 + ``mlflow server``)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest
from mlflow.tracking import MlflowClient

from trackside.server.probe import port_is_free
from trackside.server.process_group import group_members

from . import team_backend
from .conftest import TeamStores
from .team_backend import (
    HOST,
    PostgresCluster,
    PostgresMissing,
    TrackingBackend,
    moto_s3,
    postgres_bin,
    postgres_cluster,
    team_mlflow_server,
)

pytestmark = pytest.mark.slow


def log_a_run(url: str, tmp_path: Path) -> str:
    """One run with metrics, params and an artifact; returns its id."""
    client = MlflowClient(tracking_uri=url)
    experiment = client.create_experiment(f"team-{uuid.uuid4().hex[:8]}")
    run_id = client.create_run(experiment).info.run_id
    for step, value in enumerate([0.5, 0.25, float("nan")]):
        client.log_metric(run_id, "loss", value, timestamp=1_000 + step, step=step)
    client.log_param(run_id, "lr", "0.01")
    notes = tmp_path / "notes.txt"
    notes.write_text("kept in the artifact store")
    client.log_artifact(run_id, str(notes))
    return run_id


def assert_run_is_back(url: str, run_id: str, tmp_path: Path) -> None:
    client = MlflowClient(tracking_uri=url)
    assert client.get_run(run_id).data.params == {"lr": "0.01"}
    history = sorted(client.get_metric_history(run_id, "loss"), key=lambda m: m.step)
    assert [(m.step, m.timestamp) for m in history] == [(0, 1_000), (1, 1_001), (2, 1_002)]
    assert [m.value for m in history[:2]] == [0.5, 0.25]
    assert history[2].value != history[2].value  # NaN survives the round trip
    downloaded = client.download_artifacts(run_id, "notes.txt", str(tmp_path / "back"))
    assert Path(downloaded).read_text() == "kept in the artifact store"


def stored_run_ids(backend: TrackingBackend, request: pytest.FixtureRequest) -> set[str]:
    """Run ids read straight from the backend's database, past MLflow."""
    assert backend.server is not None
    if backend.name == "sqlite":
        with sqlite3.connect(backend.server.root / "mlflow.db") as db:
            return {row[0] for row in db.execute("SELECT run_uuid FROM runs")}
    stores: TeamStores = request.getfixturevalue("team_stores")
    return {row[0] for row in query(stores.cluster, "SELECT run_uuid FROM runs")}


def query(cluster: PostgresCluster, statement: str) -> list[tuple]:
    connection = cluster.connect("mlflow")
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall()
    finally:
        connection.close()


def artifact_files(backend: TrackingBackend, request: pytest.FixtureRequest) -> list[str]:
    """Artifact paths as the artifact store holds them (a folder, or keys in moto's S3)."""
    assert backend.server is not None
    if backend.name == "sqlite":
        root = backend.server.root / "mlartifacts"
        return [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()]
    stores: TeamStores = request.getfixturevalue("team_stores")
    return stores.s3.keys()


def test_backend_stores_and_returns_a_run(tracking_backend, request, tmp_path):
    run_id = log_a_run(tracking_backend.url, tmp_path)

    assert_run_is_back(tracking_backend.url, run_id, tmp_path)
    assert run_id in stored_run_ids(tracking_backend, request)
    assert any(
        path.endswith(f"{run_id}/artifacts/notes.txt")
        for path in artifact_files(tracking_backend, request)
    )


def test_test_servers_start_without_mlflows_job_runner(tracking_backend):
    """Its runner and seven huey consumers slowed every test server's start for nothing."""
    assert tracking_backend.server is not None
    commands = [
        " ".join(proc.cmdline()) for proc in group_members(tracking_backend.server.process.pid)
    ]
    assert any("uvicorn" in command for command in commands), commands
    assert not [c for c in commands if "jobs._job_runner" in c or "huey" in c], commands


def test_kill_then_restart_keeps_the_data(tracking_backend, tmp_path):
    run_id = log_a_run(tracking_backend.url, tmp_path)
    assert tracking_backend.server is not None
    pgid = tracking_backend.server.process.pid

    tracking_backend.kill()

    assert port_is_free(HOST, tracking_backend.port)
    assert group_members(pgid) == []
    with pytest.raises(OSError):
        urllib.request.urlopen(tracking_backend.url + "/health", timeout=2)

    url = tracking_backend.url
    tracking_backend.restart()

    assert tracking_backend.url == url
    assert_run_is_back(tracking_backend.url, run_id, tmp_path)


def test_fresh_backend_on_the_same_port_has_stores_of_its_own(fresh_tracking_backend, tmp_path):
    first = fresh_tracking_backend()
    run_id = log_a_run(first.url, tmp_path)
    first.kill()

    second = fresh_tracking_backend(port=first.port)

    assert second.url == first.url
    client = MlflowClient(tracking_uri=second.url)
    assert [e.name for e in client.search_experiments()] == ["Default"]
    with pytest.raises(Exception, match=run_id):
        client.get_run(run_id)


def alive(processes: list[psutil.Process]) -> list[str]:
    return [
        " ".join(proc.cmdline())
        for proc in processes
        if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    ]


def test_team_set_up_leaves_nothing_behind_when_the_body_raises(tmp_path):
    with (
        pytest.raises(RuntimeError, match="the test body failed"),
        postgres_cluster(tmp_path / "postgres") as cluster,
        moto_s3(tmp_path / "s3") as s3,
        TrackingBackend.run(
            "postgresql",
            lambda port: team_mlflow_server(tmp_path / "mlflow", cluster, s3, port=port),
        ) as backend,
    ):
        assert backend.server is not None
        parts = {
            "postgres": cluster.processes(),
            "moto": group_members(s3.process.pid),
            "mlflow": group_members(backend.server.process.pid),
        }
        started = [proc for procs in parts.values() for proc in procs]
        raise RuntimeError("the test body failed")

    counts = {name: len(procs) for name, procs in parts.items()}
    # the postmaster and its helpers; moto; mlflow's CLI, uvicorn and its 4 workers
    assert counts["postgres"] >= 2 and counts["moto"] >= 1 and counts["mlflow"] >= 6, counts
    assert alive(started) == []
    assert not cluster.data_dir.parent.exists()
    assert port_is_free(HOST, cluster.port)
    assert port_is_free(HOST, backend.port)
    assert "database system is shut down" in (tmp_path / "postgres" / "postgres.log").read_text()


def test_cluster_is_throw_away_and_local_only(tmp_path):
    with postgres_cluster(tmp_path / "postgres") as cluster, moto_s3(tmp_path / "s3") as s3:
        started = cluster.processes() + group_members(s3.process.pid)
        settings = {
            name: query(cluster, f"SHOW {name}")[0][0]
            for name in ("listen_addresses", "unix_socket_directories", "fsync")
        }
        hba = (cluster.data_dir / "pg_hba.conf").read_text().split()
        assert s3.keys() == []

    assert settings == {"listen_addresses": HOST, "unix_socket_directories": "", "fsync": "off"}
    assert hba == ["host", "all", "all", "127.0.0.1/32", "trust"]
    assert alive(started) == []
    assert not cluster.data_dir.exists()


LEFT_OPEN = """
import json, sys
from pathlib import Path
from trackside.tests.team_backend import moto_s3, postgres_cluster

root = Path(sys.argv[1])
blocks = [postgres_cluster(root / "postgres"), moto_s3(root / "s3")]  # kept: never collected
cluster, s3 = (block.__enter__() for block in blocks)
pids = [proc.pid for proc in cluster.processes()] + [s3.process.pid]
print(json.dumps({"pids": pids, "data_dir": str(cluster.data_dir)}), flush=True)
"""


def test_an_interpreter_that_never_leaves_the_blocks_still_stops_everything(tmp_path):
    # Neither block is exited: the atexit last resort (or the generators' finalisation)
    # must stop the cluster and moto when the interpreter ends.
    done = subprocess.run(
        [sys.executable, "-c", LEFT_OPEN, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    started = json.loads(done.stdout.splitlines()[-1])

    assert len(started["pids"]) > 2
    assert [pid for pid in started["pids"] if psutil.pid_exists(pid)] == []
    assert not Path(started["data_dir"]).exists()


def test_missing_postgresql_names_the_set_up_command(monkeypatch, tmp_path):
    monkeypatch.setattr(team_backend, "POSTGRES_BINARIES", tmp_path)

    with pytest.raises(PostgresMissing, match=r"scripts/dev test.*postgresql"):
        postgres_bin()
