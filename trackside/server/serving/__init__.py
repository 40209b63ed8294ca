"""Serve registered model versions locally (``mlflow models serve``) and call them."""
