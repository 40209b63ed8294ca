"""The example notebooks under ``examples/``, executed top to bottom in quick mode by nbclient
in a fresh kernel against a real ``mlflow server``, then checked through what MLflow holds.

Two notebooks download public data. They read the local copies in ``../shared/data`` (or
``TRACKSIDE_SHARED_DATA``) when those are there, and their canonical sources otherwise; a test
whose data is neither there nor reachable is skipped, saying so."""

from __future__ import annotations

import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow.artifacts
import nbformat
import pytest
from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.models import Model
from mlflow.types import Schema
from nbclient import NotebookClient

from .servers import MlflowServer, mlflow_server

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SHARED_DATA = Path(os.environ.get("TRACKSIDE_SHARED_DATA") or REPO.parent / "shared" / "data")
CLASSIC_PORT = 5000

# The canonical sources of the downloaded data (the wine CSV's is in starter.ipynb, California
# housing's is what scikit-learn's fetch_california_housing downloads).
WINE_CSV_URL = (
    "https://raw.githubusercontent.com/mlflow/mlflow/master/tests/datasets/winequality-white.csv"
)
CALIFORNIA_HOUSING_URL = "https://ndownloader.figshare.com/files/5976036"
CALIFORNIA_HOUSING_CACHE = "cal_housing_py3.pkz"


def reachable(url: str) -> bool:
    """Whether ``url``'s server answers at all (any HTTP status counts) within a few seconds."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10).close()
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True


def data_environment(relative: str) -> dict[str, str]:
    """The environment that points ``examples/<relative>`` at its data: the shared local copies
    when they are there, the canonical source otherwise (skipping the test when that is
    unreachable). Notebooks whose data ships with a package need nothing."""
    if relative == "1-MLproject/housepricepredict.ipynb":
        shared = SHARED_DATA / "scikit_learn_data"
        if (shared / CALIFORNIA_HOUSING_CACHE).is_file():
            return {"SCIKIT_LEARN_DATA": str(shared), "TRACKSIDE_OFFLINE": "1"}
        # scikit-learn's own cache folder (resolved before the test moves HOME): a download
        # made once is found there again.
        from sklearn.datasets import get_data_home

        cache = Path(get_data_home())
        if not (cache / CALIFORNIA_HOUSING_CACHE).is_file() and not reachable(
            CALIFORNIA_HOUSING_URL
        ):
            pytest.skip(
                f"California housing is neither in {shared} (set TRACKSIDE_SHARED_DATA) nor in"
                f" scikit-learn's cache {cache}, and {CALIFORNIA_HOUSING_URL} is unreachable"
            )
        return {"SCIKIT_LEARN_DATA": str(cache)}
    if relative == "2-DLMLFLOW/starter.ipynb":
        shared_csv = SHARED_DATA / "winequality-white.csv"
        if shared_csv.is_file():
            return {"TRACKSIDE_WINE_CSV": str(shared_csv), "TRACKSIDE_OFFLINE": "1"}
        if not reachable(WINE_CSV_URL):
            pytest.skip(
                f"the wine quality CSV is not at {shared_csv} (set TRACKSIDE_SHARED_DATA)"
                f" and {WINE_CSV_URL} is unreachable"
            )
        return {}
    return {}


def run_notebook(relative: str, tracking_uri: str | None, tmp_path: Path) -> nbformat.NotebookNode:
    """Execute ``examples/<relative>`` with ``QUICK = True`` injected after its parameters cell."""
    data = data_environment(relative)
    nb = nbformat.read(EXAMPLES / relative, as_version=4)
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{relative}: expected exactly one cell tagged 'parameters'"
    injected = nbformat.v4.new_code_cell("# Injected by the test\nQUICK = True")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, injected)

    home = tmp_path / "home"
    workdir = tmp_path / "work"  # the kernel's cwd: nothing lands in the repository
    home.mkdir()
    workdir.mkdir()
    for name in ("SCIKIT_LEARN_DATA", "TRACKSIDE_OFFLINE", "TRACKSIDE_WINE_CSV"):
        os.environ.pop(name, None)  # only what data_environment chose
    env = {
        "HOME": str(home),
        "TRACKSIDE_JOURNAL_DIR": str(home / "journal"),
        "KERAS_BACKEND": "torch",
        "JPY_SESSION_NAME": str(EXAMPLES / relative),
        **data,
    }
    if tracking_uri is not None:
        env["MLFLOW_TRACKING_URI"] = env["MLFLOW_REGISTRY_URI"] = tracking_uri
    else:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        os.environ.pop("MLFLOW_REGISTRY_URI", None)
    os.environ.update(env)  # the kernel inherits it; conftest restores os.environ afterwards

    started = time.monotonic()
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    print(f"{relative}: executed in quick mode in {time.monotonic() - started:.1f}s")
    return nb


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MlflowServer]:
    with mlflow_server(tmp_path / "mlflow") as running:
        yield running


def runs_of(client: MlflowClient, experiment_name: str) -> list[Run]:
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None, f"no experiment {experiment_name!r}"
    return client.search_runs([experiment.experiment_id], max_results=1000)


def version_count(client: MlflowClient, name: str) -> int:
    return len(client.search_model_versions(f"name='{name}'"))


def input_schema(client: MlflowClient, run: Run) -> Schema:
    """The input schema of the signature of the (single) model logged by ``run``."""
    models = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
    )
    assert len(models) == 1, f"run {run.info.run_name}: {len(models)} logged models"
    with tempfile.TemporaryDirectory() as scratch:
        mlmodel = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{models[0].artifact_location}/MLmodel",
            dst_path=scratch,
            tracking_uri=client.tracking_uri,
        )
        signature = Model.load(mlmodel).signature
    assert signature is not None and signature.inputs is not None
    return signature.inputs


def input_names(client: MlflowClient, run: Run) -> list[str]:
    return [str(name) for name in input_schema(client, run).input_names()]


def tensor_shape(client: MlflowClient, run: Run) -> tuple[int, ...]:
    schema = input_schema(client, run)
    assert schema.is_tensor_spec()
    return tuple(schema.inputs[0].shape)


def test_get_started(server: MlflowServer, tmp_path: Path) -> None:
    run_notebook("get-started.ipynb", server.url, tmp_path)
    runs = runs_of(MlflowClient(server.url), "Check localhost connection")
    assert len(runs) == 3
    for run in runs:
        assert run.info.status == "FINISHED"
        assert set(run.data.metrics) == {"foo", "bar"}


def test_gettingstarted_iris(server: MlflowServer, tmp_path: Path) -> None:
    run_notebook("1-MLproject/gettingstarted.ipynb", server.url, tmp_path)
    client = MlflowClient(server.url)
    runs = runs_of(client, "MLflow Quickstart")
    assert len(runs) == 2
    assert {run.data.params["solver"] for run in runs} == {"lbfgs", "saga"}
    for run in runs:
        assert run.info.status == "FINISHED"
        assert {"solver", "max_iter", "C", "random_state"} <= set(run.data.params)
        assert 0.8 <= run.data.metrics["accuracy"] <= 1.0
        assert run.data.tags["Training Info"]
        assert input_names(client, run) == [
            "sepal length (cm)",
            "sepal width (cm)",
            "petal length (cm)",
            "petal width (cm)",
        ]
    assert version_count(client, "tracking-quickstart") == 2
    assert client.get_model_version_by_alias("tracking-quickstart", "champion").version == "2"


def test_housepricepredict(server: MlflowServer, tmp_path: Path) -> None:
    run_notebook("1-MLproject/housepricepredict.ipynb", server.url, tmp_path)
    client = MlflowClient(server.url)
    runs = runs_of(client, "California housing random forest")
    assert len(runs) == 1
    (run,) = runs
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert {
        "best_n_estimators",
        "best_max_depth",
        "best_min_samples_split",
        "best_min_samples_leaf",
        "cv_folds",
    } <= set(params)
    assert params["best_n_estimators"] in {"10", "20"}
    assert params["cv_folds"] == "3"
    assert 0.0 < run.data.metrics["mse"] < 1.5  # target in units of $100,000
    assert len(input_names(client, run)) == 8
    assert version_count(client, "Best Randomforest Model") == 1


def test_starter_wine_hyperopt(server: MlflowServer, tmp_path: Path) -> None:
    run_notebook("2-DLMLFLOW/starter.ipynb", server.url, tmp_path)
    client = MlflowClient(server.url)
    runs = runs_of(client, "wine-quality")
    parents = [run for run in runs if "mlflow.parentRunId" not in run.data.tags]
    assert len(parents) == 1
    (parent,) = parents
    children = [run for run in runs if run.data.tags.get("mlflow.parentRunId")]
    assert len(children) == 2  # QUICK: two hyperopt trials
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.status == "FINISHED"
        assert {"lr", "momentum"} <= set(child.data.params)
        assert 1e-5 <= float(child.data.params["lr"]) <= 1e-1
        assert 0.0 <= float(child.data.params["momentum"]) <= 1.0
        assert "eval_rmse" in child.data.metrics
        # per-epoch curves: one value per epoch (QUICK: 2 epochs)
        assert len(client.get_metric_history(child.info.run_id, "loss")) == 2
        assert len(client.get_metric_history(child.info.run_id, "val_loss")) == 2
        assert tensor_shape(client, child) == (-1, 11)
    best_child = min(child.data.metrics["eval_rmse"] for child in children)
    assert parent.info.status == "FINISHED"
    assert {"lr", "momentum"} <= set(parent.data.params)
    assert parent.data.metrics["eval_rmse"] == pytest.approx(best_child)
    assert 0.0 < best_child < 10.0
    assert tensor_shape(client, parent) == (-1, 11)
    assert version_count(client, "wine-quality") == 1


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_classic_notebook_runs_unchanged(tmp_path: Path) -> None:
    """The classic notebook hard-codes http://127.0.0.1:5000: a real server must be there."""
    if not port_is_free(CLASSIC_PORT):
        pytest.fail(
            f"port {CLASSIC_PORT} is taken: the classic notebook hard-codes"
            f" http://127.0.0.1:{CLASSIC_PORT}, so this test needs it free to start its own"
            " mlflow server there (stop whatever listens on it)"
        )
    with mlflow_server(tmp_path / "mlflow", port=CLASSIC_PORT) as server:
        run_notebook("classic/classic-mlflow.ipynb", None, tmp_path)
        client = MlflowClient(server.url)
        runs = runs_of(client, "Classic MLflow")
        assert len(runs) == 3
        by_name = {run.info.run_name: run for run in runs}
        assert set(by_name) == {"elasticnet-alpha-0.01", "elasticnet-alpha-0.1", "sgd-epochs"}
        for name in ("elasticnet-alpha-0.01", "elasticnet-alpha-0.1"):
            run = by_name[name]
            assert {"alpha", "l1_ratio"} <= set(run.data.params)
            assert {"rmse", "mae", "r2"} <= set(run.data.metrics)
            assert 20.0 < run.data.metrics["rmse"] < 100.0
            assert len(input_names(client, run)) == 10
        curve = client.get_metric_history(by_name["sgd-epochs"].info.run_id, "train_rmse")
        assert [point.step for point in curve] == list(range(5))
