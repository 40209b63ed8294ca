"""Log from the test process itself to a real MLflow server, leaving no global state behind."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import mlflow
from mlflow import MlflowClient

# mlflow.set_experiment exports MLFLOW_EXPERIMENT_ID into os.environ, and every kernel a later
# test starts inherits it: its first start_run then asks a different server for that id.
EXPERIMENT_VARIABLES = ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")


@contextmanager
def logging_to(tracking_uri: str, experiment: str) -> Iterator[str]:
    """Point fluent MLflow at ``tracking_uri``; yield the id of ``experiment`` (created if new).

    Start runs with ``mlflow.start_run(experiment_id=...)``: no active experiment is set, and the
    tracking URI, registry URI and environment are as they were when the block ends.
    """
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    saved = {name: os.environ.get(name) for name in EXPERIMENT_VARIABLES}
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        client = MlflowClient(tracking_uri)
        found = client.get_experiment_by_name(experiment)
        yield found.experiment_id if found else client.create_experiment(experiment)
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
