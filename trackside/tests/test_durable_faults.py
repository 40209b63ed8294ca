"""Fault injection with real kernels and a real ``mlflow server`` (slow).

After each fault the server must hold exactly the logged set: every point, once.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from trackside.kernel.journal.records import iter_records, read_ack
from trackside.server.probe import free_port

from .kernel_helpers import REPO, history
from .servers import mlflow_server

pytestmark = pytest.mark.slow


class Kernel:
    def __init__(self, env: dict[str, str]) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env, cwd=str(REPO))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300) -> str:
        """Execute and return stdout; raise with the traceback if the cell failed."""
        out: list[str] = []
        errors: list[str] = []

        def on_output(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                errors.append("\n".join(msg["content"]["traceback"]))

        reply = self.client.execute_interactive(code, timeout=timeout, output_hook=on_output)
        if reply["content"]["status"] != "ok":
            raise AssertionError("cell failed:\n" + "\n".join(errors))
        return "".join(out)

    def submit(self, code: str) -> str:
        return str(self.client.execute(code))

    def reply(self, msg_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.client.get_shell_msg(timeout=deadline - time.monotonic())
            if msg["parent_header"].get("msg_id") == msg_id:
                return dict(msg["content"])
        raise TimeoutError(msg_id)

    def stop(self) -> None:
        self.client.stop_channels()
        if self.manager.is_alive():
            self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernels(tmp_path: Path) -> Iterator[list[Kernel]]:
    started: list[Kernel] = []
    yield started
    for kernel in started:
        kernel.stop()


def _env(tracking_uri: str, journal: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        TRACKSIDE_JOURNAL_DIR=str(journal),
        PYTHONPATH=str(REPO),
        MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true",
    )
    return env


INSTALL = """
import json, mlflow
from trackside.kernel.journal.durable import DurableLogging
durable = DurableLogging(flush_timeout=5)
durable.install()
"""


def _assert_exact(url: str, run_id: str, key: str, expected: list[tuple[int, float]]) -> None:
    stored = [(step, value) for step, _, value in history(url, run_id, key)]
    assert len(stored) == len(expected), f"{len(stored)} stored, {len(expected)} logged"
    assert stored == expected


def test_server_killed_mid_loop_and_restarted_20s_later(
    tmp_path: Path, kernels: list[Kernel]
) -> None:
    port = free_port("127.0.0.1")
    root = tmp_path / "server"
    journal = tmp_path / "journal"
    with mlflow_server(root, port=port) as first:
        url = first.url
        kernel = Kernel(_env(url, journal))
        kernels.append(kernel)
        kernel.run(INSTALL)
        run_id = kernel.run("run = mlflow.start_run(); print(run.info.run_id)").strip()
        # ~12 s of logging; the server dies ~2 s in and is back ~20 s later
        msg_id = kernel.submit(
            "import time\n"
            "t0 = time.monotonic(); slowest = 0.0\n"
            "for i in range(6000):\n"
            "    t = time.perf_counter()\n"
            "    mlflow.log_metric('x', i * 0.25, step=i)\n"
            "    slowest = max(slowest, time.perf_counter() - t)\n"
            "    if i % 50 == 0: time.sleep(0.1)\n"
            "mlflow.log_param('p', 'v')\n"
            "mlflow.end_run()\n"
            "print(json.dumps({'loop_s': time.monotonic() - t0, 'slowest_call_s': slowest}))\n"
        )
        time.sleep(2)
        os.killpg(first.process.pid, signal.SIGKILL)
    down_at = time.monotonic()
    reply = kernel.reply(msg_id, timeout=300)
    assert reply["status"] == "ok"
    # the loop went on while the server was down and no call waited on the network
    assert int(kernel.run("print(durable.backlog())").strip()) > 0
    time.sleep(max(0.0, 20 - (time.monotonic() - down_at)))
    with mlflow_server(root, port=port) as second:
        assert kernel.run("print(durable.flush(240))").strip() == "True"
        _assert_exact(second.url, run_id, "x", [(i, i * 0.25) for i in range(6000)])
        status = kernel.run(
            "from mlflow import MlflowClient\n"
            f"r = MlflowClient().get_run('{run_id}')\n"
            "print(r.info.status, json.dumps(r.data.params))"
        )
        assert status.strip() == 'FINISHED {"p": "v"}'
        assert kernel.run("print(durable.uninstall())").strip() == "True"


def test_kernel_sigkilled_with_backlog_is_replayed_by_a_new_kernel(
    tmp_path: Path, kernels: list[Kernel], real_mlflow: Any
) -> None:
    url = real_mlflow.url
    journal = tmp_path / "journal"
    doomed = Kernel(_env(url, journal))
    kernels.append(doomed)
    doomed.run(INSTALL)
    run_id = doomed.run("run = mlflow.start_run(); print(run.info.run_id)").strip()
    msg_id = doomed.submit(
        "import math, os, signal\n"
        "for i in range(20000):\n"
        "    mlflow.log_metric('x', math.nan if i % 997 == 0 else i / 7, step=i)\n"
        "mlflow.log_param('p', 'v')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    deadline = time.monotonic() + 120
    while doomed.manager.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not doomed.manager.is_alive()
    del msg_id
    sessions = [p for p in journal.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(sessions) == 1
    left = sum(1 for _ in iter_records(sessions[0], read_ack(sessions[0])))
    assert left > 0, "the kernel should have died with a backlog"

    fresh = Kernel(_env(url, journal))
    kernels.append(fresh)
    report = json.loads(
        fresh.run(
            "import json\n"
            "from trackside.kernel.journal.durable import replay_orphans\n"
            "r = replay_orphans(timeout=240)\n"
            "print(json.dumps({'ok': r.ok, 'sent': r.sent, 'left': r.remaining,"
            " 'summary': r.summary()}))",
            timeout=300,
        )
    )
    assert report["ok"], report["summary"]
    assert report["sent"] >= left and report["left"] == 0
    expected = [(i, float("nan") if i % 997 == 0 else i / 7) for i in range(20000)]
    stored = [(s, v) for s, _, v in history(url, run_id, "x")]
    assert len(stored) == 20000
    assert [s for s, _ in stored] == list(range(20000))
    assert all(
        (v != v and e != e) or v == e for (_, v), (_, e) in zip(stored, expected, strict=True)
    )
    assert not [p for p in journal.iterdir() if p.is_dir()]
