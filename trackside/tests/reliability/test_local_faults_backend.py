"""A17, the case ``tests/test_backend_lifecycle.py`` does not cover: MLflow missing.

The embedded server is ``python -m mlflow server`` in the Jupyter server's environment. Here that
environment cannot import MLflow (a package named ``mlflow`` that fails to import, first on
``PYTHONPATH``, as a broken or removed install looks): the manager stops restarting after its
cap, says why with the server's own log tail, and leaves no process behind. Port taken, crash
loop, kill -9 and a SIGKILLed Jupyter server are in ``tests/test_backend_lifecycle.py`` and
``tests/test_jupyter_server_e2e.py`` (marked A17 there).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trackside.server.backend import BackendManager

from ..test_backend_lifecycle import options, wait_for_state, wait_until_gone

BROKEN_MLFLOW = 'raise ModuleNotFoundError("No module named \'mlflow\'", name="mlflow")\n'


@pytest.mark.reliability("A17")
async def test_mlflow_missing_fails_with_a_clear_message_and_no_orphan(
    tmp_path: Path, backend_root: Path
) -> None:
    shadow = tmp_path / "no-mlflow" / "mlflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(BROKEN_MLFLOW)
    os.environ["PYTHONPATH"] = str(shadow.parent)  # the conftest restores the environment

    manager = BackendManager(options(backend_root, max_restarts=2, backoff_base=0.05))
    manager.start()
    try:
        status = await wait_for_state(manager, "failed", timeout=120)
        pgid = manager.pid
    finally:
        await manager.stop()
    message = status["message"]
    assert status["healthy"] is False
    assert "failed 2 times in a row" in message and "exited with code 1" in message
    assert "No module named 'mlflow'" in message  # the server's own log says what is wrong
    assert str(manager.log_path) in message
    assert manager.restarts == 1  # capped: no endless restart loop
    assert pgid is None or wait_until_gone(pgid) == []
