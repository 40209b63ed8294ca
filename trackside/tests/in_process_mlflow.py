"""Log from the test process itself to a real MLflow server, leaving no global state behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import mlflow
from mlflow import MlflowClient
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils

# MLflow's setters export these into os.environ, and every kernel a later test starts
# inherits them: set_experiment's MLFLOW_EXPERIMENT_ID made a fresh server's kernel ask for
# experiment 2, and a registry URI left behind sends later registrations to the wrong server.
MLFLOW_VARIABLES = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
)


@contextmanager
def logging_to(tracking_uri: str, experiment: str) -> Iterator[str]:
    """Point fluent MLflow at ``tracking_uri``; yield the id of ``experiment`` (created if new).

    Start runs with ``mlflow.start_run(experiment_id=...)``: no active experiment is set. When
    the block ends the tracking and registry URIs are unset again if they were unset before
    (``get_registry_uri()`` would return the tracking URI it defaults to, and setting that back
    would pin it), and the variables MLflow exported are as they were.
    """
    tracking_before = tracking_utils._tracking_uri
    registry_before = registry_utils._registry_uri
    saved = {name: os.environ.get(name) for name in MLFLOW_VARIABLES}
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        client = MlflowClient(tracking_uri)
        found = client.get_experiment_by_name(experiment)
        yield found.experiment_id if found else client.create_experiment(experiment)
    finally:
        mlflow.set_tracking_uri(tracking_before)
        registry_utils._registry_uri = registry_before
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
