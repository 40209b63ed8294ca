"""``trackside sync`` against a real MLflow server and journals of SIGKILLed processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trackside.cli import main

from .kernel_helpers import REPO, create_run
from .reliability.plugin import Figures
from .reliability.points import Point, compare
from .reliability.points import history as points_history


def _orphan(journal: Path, run_id: str, n: int) -> None:
    """A process that journals ``n`` points for a dead URI and is SIGKILLed."""
    code = f"""
import os, signal, sys
sys.path.insert(0, {str(REPO)!r})
from pathlib import Path
from mlflow import MlflowClient
from trackside.kernel.journal.durable import DurableLogging
DurableLogging("http://127.0.0.1:9", Path({str(journal)!r})).install()
c = MlflowClient("http://127.0.0.1:9")
for i in range({n}):
    c.log_metric({run_id!r}, "x", i + 0.5, timestamp=1000 + i, step=i)
c.set_terminated({run_id!r}, "FINISHED")
os.kill(os.getpid(), signal.SIGKILL)
"""
    subprocess.run([sys.executable, "-c", code], timeout=120)


def _sync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trackside.cli", "sync", *args],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip


def test_sync_with_nothing_to_do(tmp_path: Path, capsys: Any) -> None:
    assert main(["sync", "--journal-dir", str(tmp_path)]) == 0
    assert "no orphaned journals" in capsys.readouterr().out


@pytest.mark.reliability("A8")
def test_sync_replays_an_orphan_exactly_once(
    tmp_path: Path, tracking_backend: Any, figures: Figures
) -> None:
    url = tracking_backend.url
    run_id = create_run(url)
    _orphan(tmp_path, run_id, 1500)
    # the recorded URI is dead: sync fails clearly and keeps everything
    failed = _sync("--journal-dir", str(tmp_path), "--timeout", "3")
    assert failed.returncode == 1
    assert "1501 left" in failed.stdout, failed.stdout
    # a kernel on another server leaves it alone
    other = _sync("--journal-dir", str(tmp_path), "--tracking-uri", url)
    assert other.returncode == 0 and "1 for other tracking URIs left alone" in other.stdout
    done = _sync("--journal-dir", str(tmp_path), "--tracking-uri", url, "--redirect")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1501 entries sent, 0 left" in done.stdout
    logged = [Point(run_id, "x", i, 1000 + i, i + 0.5) for i in range(1500)]
    found = compare(logged, points_history(url, run_id, "x"))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found
    again = _sync("--journal-dir", str(tmp_path))
    assert again.returncode == 0 and "no orphaned journals" in again.stdout


def test_sync_skips_journals_of_live_kernels(tmp_path: Path, real_mlflow: Any) -> None:
    from trackside.kernel.journal.durable import DurableLogging

    live = DurableLogging("http://127.0.0.1:9", tmp_path)
    live.install()
    try:
        result = _sync("--journal-dir", str(tmp_path))
        assert result.returncode == 0 and "(1 in use)" in result.stdout
    finally:
        live.uninstall(timeout=0)
