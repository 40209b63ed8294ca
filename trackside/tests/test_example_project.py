"""The example MLflow Project ``examples/1-MLproject``: both entry points run by a real
``mlflow run --env-manager local`` against a real ``mlflow server``, with small parameters, then
checked through what MLflow holds.

The project reads the same California housing data as ``housepricepredict.ipynb`` and is
pointed at it the same way (``data_environment``: the shared local copy, else scikit-learn's
cache or its download; skipped, saying so, when none is there or reachable)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest
from mlflow import MlflowClient
from mlflow.entities import Run

from trackside.projects.command import RUN_ID, mlflow_run_argv
from trackside.projects.params import check_parameters
from trackside.projects.spec import load_project

from .servers import MlflowServer
from .test_examples import EXAMPLES, data_environment, input_schema, runs_of

PROJECT = EXAMPLES / "1-MLproject"
NOTEBOOK = "1-MLproject/housepricepredict.ipynb"  # the project reads this notebook's data


def mlflow_run(
    server: MlflowServer,
    tmp_path: Path,
    entry_point: str,
    parameters: Mapping[str, str],
    experiment: str,
) -> tuple[str, str]:
    """Run an entry point as Trackside's server would (its argv, its parameter checks), from a
    folder outside the repository; return (run id, everything it printed)."""
    spec = load_project(PROJECT)
    values = check_parameters(spec.entry_points[entry_point], parameters)
    argv = mlflow_run_argv(PROJECT, entry_point, values, experiment_name=experiment)
    env = {
        **os.environ,
        **data_environment(NOTEBOOK),
        "MLFLOW_TRACKING_URI": server.url,
        # The entry point's command says `python`: this venv's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),  # scikit-learn's default data folder must not be the user's
    }
    done = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    found = RUN_ID.search(output)
    assert found, output
    return found.group(1), output


def steps(client: MlflowClient, run: Run, metric: str) -> list[int]:
    return [point.step for point in client.get_metric_history(run.info.run_id, metric)]


def test_main_logs_a_curve_per_tree_and_the_model(
    real_mlflow: MlflowServer, tmp_path: Path
) -> None:
    experiment = f"project-main-{uuid.uuid4().hex[:8]}"
    run_id, output = mlflow_run(
        real_mlflow,
        tmp_path,
        "main",
        {"n_estimators": "4", "max_depth": "3", "min_samples_split": "0.05"},
        experiment,
    )
    client = MlflowClient(real_mlflow.url)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert [r.info.run_id for r in runs_of(client, experiment)] == [run_id]
    params = run.data.params
    assert (params["n_estimators"], params["max_depth"], params["min_samples_split"]) == (
        "4",
        "3",
        "0.05",
    )
    assert params["train_rows"] == "16512"  # 80 % of the 20,640 rows
    # One point per tree, printed as it was logged.
    assert steps(client, run, "rmse") == [1, 2, 3, 4]
    assert steps(client, run, "val_rmse") == [1, 2, 3, 4]
    printed = [line for line in output.splitlines() if line.startswith("tree ")]
    assert [line.split(":")[0] for line in printed] == [f"tree {k}/4" for k in range(1, 5)]
    metrics = run.data.metrics
    assert {"val_mse", "val_mae", "val_r2", "train_seconds"} <= metrics.keys()
    assert metrics["val_rmse"] ** 2 == pytest.approx(metrics["val_mse"], rel=1e-6)
    assert 0 < metrics["val_r2"] < 1
    assert input_schema(client, run).input_names() == [
        "MedInc", "HouseAge", "AveRooms", "AveBedrms",
        "Population", "AveOccup", "Latitude", "Longitude",
    ]  # fmt: skip
    assert run.inputs.dataset_inputs[0].dataset.name == "california-housing-train"


def test_search_trains_the_grid_as_nested_runs(real_mlflow: MlflowServer, tmp_path: Path) -> None:
    experiment = f"project-search-{uuid.uuid4().hex[:8]}"
    parent_id, _ = mlflow_run(
        real_mlflow,
        tmp_path,
        "search",
        {"n_estimators_grid": "2,3", "max_depth_grid": "2,4"},
        experiment,
    )
    client = MlflowClient(real_mlflow.url)
    runs = runs_of(client, experiment)
    parent = client.get_run(parent_id)
    children = [run for run in runs if run.info.run_id != parent_id]
    assert parent.info.status == "FINISHED"
    assert len(runs) == 5
    assert {run.data.tags.get("mlflow.parentRunId") for run in children} == {parent_id}
    grid = {(run.data.params["n_estimators"], run.data.params["max_depth"]) for run in children}
    assert grid == {("2", "2"), ("2", "4"), ("3", "2"), ("3", "4")}
    for child in children:
        assert child.info.status == "FINISHED"
        trees = int(child.data.params["n_estimators"])
        assert steps(client, child, "val_rmse") == list(range(1, trees + 1))

    assert steps(client, parent, "grid_val_rmse") == [1, 2, 3, 4]
    best = min(children, key=lambda run: run.data.metrics["val_rmse"])
    assert parent.data.tags["best_run_id"] == best.info.run_id
    assert parent.data.params["best_n_estimators"] == best.data.params["n_estimators"]
    assert parent.data.metrics["best_val_rmse"] == pytest.approx(best.data.metrics["val_rmse"])
    assert input_schema(client, parent).input_names()[0] == "MedInc"


@pytest.mark.parametrize(("text", "meant"), [("2", 2), ("5.0", 5), ("0.25", 0.25), ("1", 1.0)])
def test_min_samples_split_is_a_count_or_a_fraction(text: str, meant: float) -> None:
    value = example_train().min_samples_split(text)
    assert value == meant
    assert isinstance(value, int) == (meant >= 2)  # scikit-learn reads an int as a count


@pytest.mark.parametrize("text", ["0", "1.5", "2.5", "-3", "nan", "inf", "two"])
def test_min_samples_split_refuses_what_scikit_learn_cannot_use(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="whole number >= 2"):
        example_train().min_samples_split(text)


def example_train() -> ModuleType:
    """The example's ``train.py``, loaded under a name of its own."""
    spec = importlib.util.spec_from_file_location("example_project_train", PROJECT / "train.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
