"""The embedded backend's life, with real ``mlflow server`` processes."""

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest

from trackside.server import process_group
from trackside.server.backend import BackendManager, BackendOptions, Mode
from trackside.server.backend_folder import default_backend_folder
from trackside.server.probe import free_port

from .servers import mlflow_server, recording_peer


def options(root: Path, **overrides) -> BackendOptions:
    values = {
        "tracking_uri": None,
        "root_dir": root,
        "port": free_port("127.0.0.1"),
        "health_interval": 0.5,
        "unhealthy_after": 2,
        "startup_timeout": 90.0,
        "backoff_base": 0.2,
        "min_uptime": 60.0,
    }
    values.update(overrides)
    return BackendOptions(**values)


async def wait_for_state(manager: BackendManager, state: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = (await manager.status()).to_json()
        if status["state"] == state and (state != "ready" or status["healthy"]):
            return status
        await asyncio.sleep(0.2)
    raise AssertionError(f"backend never reached {state!r}; last status {status}")


def group_pids(manager: BackendManager) -> list[int]:
    assert manager.pid is not None
    return [proc.pid for proc in process_group.group_members(manager.pid)]


def wait_until_gone(pgid: int, timeout: float = 15.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p.pid for p in process_group.group_members(pgid) if process_group.is_alive(p.pid)]
        if not left:
            return []
        time.sleep(0.1)
    return left


@pytest.mark.reliability("A17")
async def test_embedded_server_starts_logs_to_root_and_stops_without_orphans(backend_root):
    manager = BackendManager(options(backend_root))
    assert manager.mode is Mode.EMBEDDED
    manager.start()
    first = (await manager.status()).to_json()
    assert first["state"] == "starting" and first["healthy"] is False
    status = await wait_for_state(manager, "ready")
    assert status["mode"] == "embedded"
    assert status["mlflow_version"] == mlflow.__version__
    uri = manager.kernel_environment()["MLFLOW_TRACKING_URI"]
    assert uri == status["tracking_uri"]

    # Same files as `mlflow server` run in that folder: mlflow.db and mlartifacts/.
    # A client logs in with what kernels get (the conftest restores the environment).
    os.environ.update(manager.kernel_environment())
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.create_run("0", run_name="embedded")
    client.log_text(run.info.run_id, "artifact body", "note.txt")
    assert (backend_root / "mlflow.db").exists()
    assert list((backend_root / "mlartifacts").rglob("note.txt"))

    pgid = manager.pid
    assert len(group_pids(manager)) >= 2  # the watchdog and mlflow's own processes
    await manager.stop()
    assert wait_until_gone(pgid) == []
    assert not manager.pidfile.exists()


@pytest.mark.reliability("A17")
async def test_restarts_after_kill_9(backend_root):
    manager = BackendManager(options(backend_root))
    manager.start()
    try:
        await wait_for_state(manager, "ready")
        first_pgid = manager.pid
        for pid in group_pids(manager):
            os.kill(pid, signal.SIGKILL)
        await wait_for_state(manager, "restarting", timeout=20)
        status = await wait_for_state(manager, "ready")
        assert status["healthy"] is True
        assert manager.restarts == 1
        assert manager.pid != first_pgid
        assert wait_until_gone(first_pgid) == []
    finally:
        await manager.stop()


@pytest.mark.reliability("A17")
async def test_crash_loop_is_capped_with_a_clear_message(backend_root):
    manager = BackendManager(options(backend_root, max_restarts=2, backoff_base=0.05))
    # Something takes the port after it was chosen: every start fails to bind and exits.
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", int(manager.upstream.base_url.rsplit(":", 1)[1])))
    squatter.listen()
    manager.start()
    try:
        status = await wait_for_state(manager, "failed", timeout=120)
        assert status["healthy"] is False
        assert "failed 2 times in a row" in status["message"]
        assert str(manager.log_path) in status["message"]
        assert "exited with code" in status["message"]
        assert manager.restarts == 1
    finally:
        squatter.close()
        await manager.stop()


async def test_adopts_a_running_mlflow_server(tmp_path, backend_root):
    with mlflow_server(tmp_path / "existing") as existing:
        port = int(existing.url.rsplit(":", 1)[1])
        manager = BackendManager(options(backend_root, port=port))
        assert manager.mode is Mode.ADOPTED
        assert manager.upstream.base_url == existing.url
        manager.start()  # nothing to supervise
        status = (await manager.status()).to_json()
        assert (status["mode"], status["healthy"], status["state"]) == ("adopted", True, "ready")
        assert manager.pid is None
        await manager.stop()
        assert existing.process.poll() is None, "an adopted server is not ours to stop"


async def test_a_second_manager_on_the_folder_adopts_the_embedded_server_with_its_login(
    backend_root,
):
    """The embedded server wants credentials: a second Jupyter server on the same folder
    (a live owner in the pidfile) reads them from the folder and adopts the server."""
    first = BackendManager(options(backend_root))
    first.start()
    try:
        await wait_for_state(first, "ready")
        port = int(first.upstream.base_url.rsplit(":", 1)[1])
        # Another live process owns it (here: pytest's parent), as another Jupyter server.
        record = json.loads(first.pidfile.read_text())
        first.pidfile.write_text(json.dumps({**record, "owner": os.getppid()}))
        second = BackendManager(options(backend_root, port=port))
        assert second.mode is Mode.ADOPTED
        assert second.upstream.headers == first.upstream.headers
        assert second.kernel_environment() == first.kernel_environment()
        status = (await second.status()).to_json()
        assert (status["healthy"], status["state"]) == (True, "ready")
    finally:
        await first.stop()


async def test_adopts_a_server_slow_to_answer_its_first_search(backend_root):
    """Seen in CI: a freshly started MLflow server took over a second for its first
    experiments/search, and Trackside started a second server beside it."""
    with recording_peer() as peer:
        peer.answers["/health"] = (200, {"Content-Type": "text/plain"}, b"OK")
        peer.answers["/api/2.0/mlflow/experiments/search"] = (
            200,
            {"Content-Type": "application/json"},
            b'{"experiments": []}',
        )
        peer.delays["/api/2.0/mlflow/experiments/search"] = 2.5
        port = int(peer.url.rsplit(":", 1)[1])
        manager = BackendManager(options(backend_root, port=port))
        assert manager.mode is Mode.ADOPTED
        assert manager.upstream.base_url == peer.url


def test_a_port_in_time_wait_is_free_but_a_listening_one_is_not():
    from trackside.server.probe import port_is_free

    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        assert not port_is_free("127.0.0.1", port)
        accepted.close()  # the server side closes first: its port enters TIME_WAIT
        client.close()
    assert port_is_free("127.0.0.1", port)


def test_default_port_is_5000():
    from trackside.server.app import Trackside

    assert Trackside.port.default_value == 5000


@pytest.mark.reliability("A17")
async def test_port_taken_by_something_else_moves_to_a_free_port(backend_root):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        manager = BackendManager(options(backend_root, port=taken))
        assert manager.mode is Mode.EMBEDDED
        assert not manager.upstream.base_url.endswith(f":{taken}")
        manager.start()
        try:
            status = await wait_for_state(manager, "ready")
            assert status["tracking_uri"] == manager.upstream.base_url
        finally:
            await manager.stop()


@pytest.mark.reliability("A17")
async def test_stale_server_of_a_dead_jupyter_server_is_cleaned(tmp_path, backend_root):
    # An mlflow server whose owner is gone, as a killed Jupyter server would leave it.
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    stale_port = free_port("127.0.0.1")
    with mlflow_server(tmp_path / "stale", port=stale_port) as stale:
        state_dir = backend_root / ".trackside"
        state_dir.mkdir()
        record = {"owner": dead_owner.pid, "pgid": stale.process.pid, "uri": stale.url}
        (state_dir / "backend.json").write_text(json.dumps(record))
        manager = BackendManager(options(backend_root, port=stale_port))
        # Not adopted: it was cleaned first, and its port is ours again.
        assert manager.mode is Mode.EMBEDDED
        assert wait_until_gone(stale.process.pid) == []
        assert manager.upstream.base_url == stale.url
        assert not (state_dir / "backend.json").exists()


async def test_a_live_owner_s_server_is_left_alone(tmp_path, backend_root):
    with mlflow_server(tmp_path / "other") as other:
        state_dir = backend_root / ".trackside"
        state_dir.mkdir()
        record = {"owner": os.getppid(), "pgid": other.process.pid, "uri": other.url}
        (state_dir / "backend.json").write_text(json.dumps(record))
        BackendManager(options(backend_root))
        assert other.process.poll() is None
        assert (state_dir / "backend.json").exists()


def test_external_uri_starts_nothing(backend_root):
    manager = BackendManager(options(backend_root, tracking_uri="http://u:p@127.0.0.1:1"))
    assert manager.mode is Mode.EXTERNAL
    assert manager.upstream.public_uri == "http://127.0.0.1:1"
    assert manager.kernel_environment() == {
        "MLFLOW_TRACKING_URI": "http://u:p@127.0.0.1:1",
        "MLFLOW_REGISTRY_URI": "http://u:p@127.0.0.1:1",
    }
    assert not (backend_root / ".trackside").exists()


@pytest.mark.parametrize("uri", ["sqlite:///x.db", "file:///tmp/mlruns"])
def test_external_uri_that_is_not_a_server_is_refused(backend_root, uri):
    with pytest.raises(ValueError, match="http:// or https://"):
        BackendManager(options(backend_root, tracking_uri=uri))


LOG = logging.getLogger("trackside.tests")


def test_a_new_root_keeps_the_backend_in_a_hidden_folder(backend_root, caplog):
    with caplog.at_level(logging.INFO, logger=LOG.name):
        assert default_backend_folder(backend_root, LOG) == backend_root / ".trackside" / "backend"
    assert caplog.records == []


def test_an_earlier_version_s_database_in_the_root_keeps_being_used(backend_root, caplog):
    (backend_root / "mlflow.db").write_bytes(b"")
    with caplog.at_level(logging.INFO, logger=LOG.name):
        assert default_backend_folder(backend_root, LOG) == backend_root
    assert [r.getMessage() for r in caplog.records if "earlier version" in r.getMessage()]


def test_the_hidden_folder_wins_once_it_has_a_database(backend_root):
    (backend_root / "mlflow.db").write_bytes(b"")
    hidden = backend_root / ".trackside" / "backend"
    hidden.mkdir(parents=True)
    (hidden / "mlflow.db").write_bytes(b"")
    assert default_backend_folder(backend_root, LOG) == hidden


async def test_the_state_folder_can_live_apart_from_the_data(backend_root):
    data = backend_root / ".trackside" / "backend"
    manager = BackendManager(options(data, state_dir=backend_root / ".trackside"))
    assert manager.pidfile == backend_root / ".trackside" / "backend.json"
    manager.start()
    try:
        await wait_for_state(manager, "ready")
        assert (data / "mlflow.db").is_file()
        assert manager.history_store is not None
        assert manager.history_store.db_path == data / "mlflow.db"
        assert manager.pidfile.is_file()
    finally:
        await manager.stop()
