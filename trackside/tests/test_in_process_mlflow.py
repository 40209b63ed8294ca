"""Logging from the test process must not leak into kernels or clients that later tests start."""

from __future__ import annotations

import os

import mlflow
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils

from .in_process_mlflow import MLFLOW_VARIABLES, logging_to
from .servers import MlflowServer


def test_logging_to_leaves_no_uri_experiment_or_variable_behind(
    real_mlflow: MlflowServer,
) -> None:
    before = (tracking_utils._tracking_uri, registry_utils._registry_uri)
    environ = {name: os.environ.get(name) for name in MLFLOW_VARIABLES}
    with logging_to(real_mlflow.url, "leak-check") as experiment_id:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_metric("m", 1.0)
        # A bare set_experiment inside the block (as a helper might do) is undone too.
        mlflow.set_experiment("leak-check")
        assert os.environ.get("MLFLOW_EXPERIMENT_ID") == experiment_id
        assert mlflow.get_registry_uri() == real_mlflow.url
    assert run.info.experiment_id == experiment_id
    assert (tracking_utils._tracking_uri, registry_utils._registry_uri) == before
    assert {name: os.environ.get(name) for name in MLFLOW_VARIABLES} == environ
    # Unset before, unset after: the registry follows the tracking URI again.
    mlflow.set_tracking_uri("http://127.0.0.1:9")
    try:
        assert mlflow.get_registry_uri() == "http://127.0.0.1:9"
    finally:
        mlflow.set_tracking_uri(before[0])
