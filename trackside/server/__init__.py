"""Jupyter server side of Trackside: the embedded MLflow backend and the REST gateway."""
