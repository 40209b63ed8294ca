"""MLflow's own validators, imported off the event loop the first time.

``import mlflow`` takes seconds; the Jupyter server must not stall on it, so handlers
``await load()`` before validating, and validators reach MLflow through these accessors.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from .gateway import GatewayError

MODULES = ("mlflow.exceptions", "mlflow.utils.validation", "mlflow.utils.uri")
_loaded = False


async def load() -> None:
    global _loaded
    if not _loaded:
        loop = asyncio.get_running_loop()
        for name in MODULES:
            await loop.run_in_executor(None, importlib.import_module, name)
        _loaded = True


def validation() -> ModuleType:
    return importlib.import_module("mlflow.utils.validation")


def uri() -> ModuleType:
    return importlib.import_module("mlflow.utils.uri")


@contextmanager
def mlflow_messages() -> Iterator[None]:
    """Turn a refusal by an MLflow validator into a 400 with MLflow's own message."""
    exceptions = importlib.import_module("mlflow.exceptions")
    try:
        yield
    except exceptions.MlflowException as err:
        raise GatewayError(400, "INVALID_PARAMETER_VALUE", err.message) from err
