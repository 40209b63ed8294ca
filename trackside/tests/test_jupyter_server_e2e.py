"""A real ``jupyter server`` process with Trackside: kernels log to the embedded backend,
and neither a clean shutdown nor a SIGKILL leaves an MLflow server behind."""

import json
import signal
import time
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient

from trackside.server import process_group
from trackside.server.probe import free_port

from .jupyter_process import jupyter_server


def backend_pgid(root: Path) -> int:
    return int(json.loads((root / ".trackside" / "backend.json").read_text())["pgid"])


def wait_until_gone(pgid: int, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p.pid for p in process_group.group_members(pgid) if process_group.is_alive(p.pid)]
        if not left:
            return []
        time.sleep(0.2)
    return left


def run_in_kernel(client: BlockingKernelClient, code: str) -> str:
    chunks: list[str] = []

    def collect(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            chunks.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            chunks.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, timeout=120, output_hook=collect)
    assert reply["content"]["status"] == "ok", "".join(chunks)
    return "".join(chunks)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "notebooks"
    path.mkdir()
    return path


@pytest.mark.reliability("A17")
def test_kernels_log_to_the_embedded_backend_and_sigkill_leaves_no_orphan(root):
    backend_port = free_port("127.0.0.1")
    with jupyter_server(root, backend_port) as server:
        status = server.wait_ready()
        assert (status["mode"], status["tracking_uri"]) == (
            "embedded",
            f"http://127.0.0.1:{backend_port}",
        )

        kernel = server.call("api/kernels", method="POST", body={"name": "python3"})
        client = BlockingKernelClient()
        client.load_connection_file(str(server.runtime / f"kernel-{kernel['id']}.json"))
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            printed = run_in_kernel(client, "import os; print(os.environ['MLFLOW_TRACKING_URI'])")
            assert printed.strip() == status["tracking_uri"]
            # Plain MLflow code, no set_tracking_uri: it logs to the embedded backend.
            run_in_kernel(
                client,
                "import mlflow\n"
                "mlflow.set_experiment('plain-notebook')\n"
                "with mlflow.start_run(run_name='from-kernel'):\n"
                "    mlflow.log_metric('loss', 0.25)\n",
            )
        finally:
            client.stop_channels()
        found = server.call(
            "trackside/api/mlflow/experiments/get-by-name?experiment_name=plain-notebook"
        )
        runs = server.call(
            "trackside/api/mlflow/runs/search",
            method="POST",
            body={"experiment_ids": [found["experiment"]["experiment_id"]]},
        )
        assert [r["info"]["run_name"] for r in runs["runs"]] == ["from-kernel"]
        # Kept out of the file browser's way, in the root's hidden folder.
        assert (root / ".trackside" / "backend" / "mlflow.db").is_file()
        assert not (root / "mlflow.db").exists()

        pgid = backend_pgid(root)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        assert wait_until_gone(pgid) == [], "the MLflow server outlived a SIGKILLed Jupyter server"

    # The next Jupyter server on the same folder starts cleanly and keeps the data.
    with jupyter_server(root, backend_port) as server:
        server.wait_ready()
        found = server.call(
            "trackside/api/mlflow/experiments/get-by-name?experiment_name=plain-notebook"
        )
        assert found["experiment"]["name"] == "plain-notebook"
        pgid = backend_pgid(root)
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        assert wait_until_gone(pgid, timeout=5) == []
        assert not (root / ".trackside" / "backend.json").exists()
