"""Which folders the server extension gives the embedded backend, in a real Jupyter server."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def jp_server_config(jp_root_dir: Path, earlier_version_db: bool):
    if earlier_version_db:
        (jp_root_dir / "mlflow.db").write_bytes(b"")
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        # The folders are chosen all the same; no MLflow server is started here.
        "Trackside": {"tracking_uri": "http://127.0.0.1:9"},
    }


@pytest.mark.parametrize(
    ("earlier_version_db", "data_folder"),
    [(False, Path(".trackside", "backend")), (True, Path("."))],
    ids=["new root", "earlier version's db in the root"],
)
def test_default_backend_folders(jp_serverapp, jp_root_dir: Path, data_folder: Path):
    backend = jp_serverapp.web_app.settings["trackside_backend"]
    root = jp_root_dir.resolve()
    assert backend.options.root_dir == root / data_folder
    assert backend.pidfile == root / ".trackside" / "backend.json"


@pytest.mark.parametrize("earlier_version_db", [False])
def test_an_explicit_backend_root_is_used_as_it_is(jp_serverapp, tmp_path: Path):
    (app,) = jp_serverapp.extension_manager.extension_apps["trackside"]
    app.backend_root = str(tmp_path / "elsewhere")
    assert app._backend_folders(embedded=True) == ((tmp_path / "elsewhere").resolve(), None)
