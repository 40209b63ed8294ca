"""A tracked notebook (``%mlflow track on``) whose cells use plain ``mlflow`` calls,
executed by nbclient in a real kernel against a real ``mlflow server``."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from mlflow import MlflowClient
from nbclient import NotebookClient

from .servers import MlflowServer
from .test_magics_support import Notebook, make_notebook, runs_in, unique


def execute(cells: list[str], notebook: Notebook, server: MlflowServer, home: Path):
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        MLFLOW_TRACKING_URI=server.url,
        JPY_SESSION_NAME=str(notebook.path),
        HOME=str(home),
        TRACKSIDE_JOURNAL_DIR=str(home / "journal"),
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        allow_errors=True,
        resources={"metadata": {"path": str(notebook.folder)}},
    ).execute()
    return nb


def outputs(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "".join(parts)


def test_tracked_notebook_captures_cells_that_use_runs(real_mlflow: MlflowServer, tmp_path: Path):
    notebook = make_notebook(tmp_path / "repo")
    experiment = unique("tracked")
    cells = [
        "%load_ext trackside\n%mlflow track on",
        f"import mlflow\nfrom mlflow import MlflowClient\nmlflow.set_experiment('{experiment}')",
        # 2: a with-block run; the user's own logging wins
        "with mlflow.start_run(run_name='with-block'):\n"
        "    lr = 0.05\n"
        "    n_estimators = 10\n"
        "    mlflow.log_param('lr', 0.05)\n"
        "    mlflow.log_metric('acc', 0.91)\n"
        "    acc = 0.93\n"
        "    val_loss = 0.2\n",
        # 3: no run involved: nothing captured anywhere
        "unrelated_score = 0.5\nwidth = 3\n",
        # 4-6: a run left open across cells
        "open_run = mlflow.start_run(run_name='open-run')\nbatch_size = 64\n",
        "rmse = 0.25\n",
        "mlflow.end_run()\n",
        # 7: framework autologging (on with tracking) plus auto-capture
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X, y = load_iris(return_X_y=True)\n"
        "with mlflow.start_run(run_name='sklearn'):\n"
        "    C = 0.5\n"
        "    model = LogisticRegression(C=C, max_iter=300).fit(X, y)\n"
        "    train_acc = model.score(X, y)\n",
        # 8: a run used through MlflowClient by id
        "client = MlflowClient()\n"
        "by_id = client.create_run(mlflow.get_experiment_by_name("
        f"'{experiment}').experiment_id, run_name='by-id')\n"
        "client.log_metric(by_id.info.run_id, 'steps_done', 3)\n"
        "auc = 0.7\n",
        # 9: a failing cell: the run fails as in plain MLflow, no metrics captured
        "with mlflow.start_run(run_name='failing'):\n"
        "    dropout = 0.3\n"
        "    f1 = 0.4\n"
        "    raise RuntimeError('broken cell')\n",
        "%mlflow sync",
        "%mlflow track off\nwith mlflow.start_run(run_name='untracked'):\n    momentum = 0.9\n",
    ]
    nb = execute(cells, notebook, real_mlflow, tmp_path / "home")
    assert "tracking this notebook: on (autolog on)" in outputs(nb.cells[0])
    assert "RuntimeError: broken cell" in outputs(nb.cells[9])
    assert "incomplete" not in outputs(nb.cells[10])
    for index in (2, 3, 4, 5, 6, 7, 8):
        assert "trackside:" not in outputs(nb.cells[index]), (index, outputs(nb.cells[index]))

    client = MlflowClient(tracking_uri=real_mlflow.url)
    runs = {run.info.run_name: run for run in runs_in(client, experiment)}
    assert set(runs) >= {"with-block", "open-run", "sklearn", "by-id", "failing", "untracked"}

    block = runs["with-block"]
    assert block.data.params == {"lr": "0.05", "n_estimators": "10"}
    assert block.data.metrics == {"acc": 0.91, "val_loss": 0.2}
    assert block.data.tags["trackside.tracked"] == "true"
    assert block.data.tags["trackside.notebook"] == str(notebook.path)
    assert block.data.tags["mlflow.source.git.commit"] == notebook.commit
    source = client.download_artifacts(block.info.run_id, block.data.tags["trackside.cell_source"])
    assert Path(source).read_text() == cells[2]

    opened = runs["open-run"]
    assert opened.data.params == {"batch_size": "64"}
    assert opened.data.metrics == {"rmse": 0.25}
    assert opened.info.status == "FINISHED"

    sklearn = runs["sklearn"]
    assert sklearn.data.params["C"] == "0.5"
    assert "training_score" in sklearn.data.metrics  # mlflow.autolog()
    assert 0.9 < sklearn.data.metrics["train_acc"] <= 1.0  # auto-capture

    by_id = runs["by-id"]
    assert by_id.data.metrics == {"steps_done": 3.0, "auc": 0.7}

    failing = runs["failing"]
    assert failing.info.status == "FAILED"
    assert failing.data.metrics == {}

    untracked = runs["untracked"]
    assert untracked.data.params == {}
    assert "trackside.tracked" not in untracked.data.tags

    for run in runs.values():
        assert "unrelated_score" not in run.data.metrics
        assert "width" not in run.data.params
