"""Logging from the test process must not leak into kernels that later tests start."""

from __future__ import annotations

import os

import mlflow

from .in_process_mlflow import logging_to
from .servers import MlflowServer


def test_logging_to_leaves_no_experiment_or_uri_behind(real_mlflow: MlflowServer) -> None:
    before_uri = mlflow.get_tracking_uri()
    before = {
        name: os.environ.get(name) for name in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")
    }
    with logging_to(real_mlflow.url, "leak-check") as experiment_id:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_metric("m", 1.0)
        # A bare set_experiment inside the block (as a helper might do) is undone too.
        mlflow.set_experiment("leak-check")
        assert os.environ.get("MLFLOW_EXPERIMENT_ID") == experiment_id
    assert run.info.experiment_id == experiment_id
    assert {name: os.environ.get(name) for name in before} == before
    assert mlflow.get_tracking_uri() == before_uri
