from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .servers import MlflowServer, mlflow_server

pytest_plugins = ["pytest_jupyter.jupyter_server", "trackside.tests.reliability.plugin"]


@pytest.fixture(scope="session")
def real_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """One real ``mlflow server`` subprocess shared by the gateway tests."""
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as server:
        yield server


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
