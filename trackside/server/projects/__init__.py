"""Run MLflow Projects (``mlflow run``) as supervised children of the Jupyter server."""
