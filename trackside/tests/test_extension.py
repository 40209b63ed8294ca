"""``%load_ext`` / ``%unload_ext trackside`` in real kernels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient

from trackside.server.probe import free_port

from .servers import MlflowServer
from .test_magics_support import (
    Kernel,
    Notebook,
    make_notebook,
    run_id_of,
    start_kernel,
    unique,
)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Notebook:
    return make_notebook(tmp_path_factory.mktemp("repo"))


@pytest.fixture
def client(real_mlflow: MlflowServer) -> MlflowClient:
    return MlflowClient(tracking_uri=real_mlflow.url)


SNAPSHOT = """
import json, mlflow
from mlflow.tracking import fluent
from mlflow.tracking.client import MlflowClient
from mlflow.tracking._tracking_service.client import TrackingServiceClient
from mlflow.store.tracking.rest_store import RestStore
def _callables():
    out = {}
    for owner in (mlflow, fluent, MlflowClient, TrackingServiceClient, RestStore):
        for name, value in list(vars(owner).items()):
            if callable(value) or isinstance(value, (staticmethod, classmethod)):
                out[f"{getattr(owner, '__name__', owner)}.{name}"] = id(value)
    return out
"""


@pytest.fixture
def fresh(real_mlflow: MlflowServer, notebook: Notebook, tmp_path: Path):
    kernel = start_kernel(real_mlflow, notebook, tmp_path / "home")
    try:
        yield kernel
    finally:
        kernel.shutdown()


def test_load_ext_does_not_import_jupyter_server(fresh: Kernel):
    fresh.ok("%load_ext trackside")
    loaded = fresh.value("sorted(m for m in __import__('sys').modules if m.startswith(("
                         "'jupyter_server', 'trackside.server', 'jupyterlab')))")  # fmt: skip
    assert loaded == "[]"
    assert fresh.value("'mlflow' in get_ipython().magics_manager.magics['cell']") == "True"


def test_load_ext_prints_no_warning(fresh: Kernel):
    # ``import mlflow`` imports tqdm.auto, which warns "IProgress not found" in a kernel
    # without ipywidgets: Trackside depends on ipywidgets so that its own imports are quiet.
    reply = fresh.ok(
        "import warnings\n"
        "with warnings.catch_warnings(record=True) as _caught:\n"
        "    warnings.simplefilter('always')\n"
        "    get_ipython().run_line_magic('load_ext', 'trackside')\n"
        "print([f'{w.category.__name__}: {w.message}' for w in _caught])"
    )
    assert reply.stderr == ""
    assert reply.stdout.strip() == "[]"


def test_loading_twice_is_harmless(fresh: Kernel, client):
    fresh.ok("%load_ext trackside")
    again = fresh.run("%load_ext trackside")
    assert again.status == "ok"
    fresh.ok("import trackside\ntrackside.load_ipython_extension(get_ipython())")
    hooks = fresh.value(
        "[len([c for c in get_ipython().events.callbacks[e] if 'TracksideState' in repr(c)])"
        " for e in ('pre_run_cell', 'post_run_cell')]"
    )
    assert hooks == "[1, 1]"
    experiment = unique("twice")
    reply = fresh.ok(f"%%mlflow -e {experiment}\nacc = 0.5\n")
    fresh.ok("%mlflow sync")
    assert client.get_run(run_id_of(reply)).data.metrics == {"acc": 0.5}


def test_unload_restores_plain_mlflow(fresh: Kernel, client):
    fresh.ok(SNAPSHOT + "before = _callables()")
    fresh.ok("%load_ext trackside")
    experiment = unique("unload")
    fresh.ok(f"%%mlflow -e {experiment}\nacc = 0.5\n")
    fresh.ok("%mlflow track on")
    fresh.ok("%unload_ext trackside")
    changed = fresh.value("sorted(k for k, v in _callables().items() if before.get(k) != v)")
    assert changed == "[]"
    hooks = fresh.value(
        "[c for e in ('pre_run_cell', 'post_run_cell') for c in get_ipython().events.callbacks[e]"
        " if 'TracksideState' in repr(c)]"
    )
    assert hooks == "[]"
    gone = fresh.run("%%mlflow\nx = 1\n")
    assert gone.ename == "UsageError" and "not found" in gone.error["evalue"]
    assert fresh.run("%mlflow status").ename == "UsageError"
    # plain MLflow: a logged metric is on the server without any sync
    run_id = json.loads(
        fresh.ok(
            f"mlflow.set_experiment('{experiment}')\n"
            "with mlflow.start_run() as r:\n"
            "    mlflow.log_metric('plain', 1.5)\n"
            "print(json.dumps(r.info.run_id))"
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert client.get_run(run_id).data.metrics == {"plain": 1.5}
    # and it loads again
    fresh.ok("%load_ext trackside")
    assert fresh.ok("%mlflow status").stdout.startswith("backend: ")


def test_unreachable_backend_degrades_without_raising(
    notebook: Notebook, tmp_path: Path, real_mlflow: MlflowServer
):
    url = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    dead = MlflowServer(url=url, root=tmp_path, process=None)  # type: ignore[arg-type]
    kernel = start_kernel(dead, notebook, tmp_path / "home")
    try:
        loaded = kernel.run("%load_ext trackside")
        assert loaded.status == "ok", str(loaded)
        status = kernel.ok("%mlflow status").stdout
        assert f"backend: {dead.url} (unreachable" in status
        assert kernel.ok("x = 1").status == "ok"
    finally:
        kernel.shutdown()
