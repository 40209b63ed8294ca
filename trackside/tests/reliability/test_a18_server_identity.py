"""A18: an orphaned journal and another MLflow server on the same address.

A kernel logs to server X on port P, X goes away, the kernel logs on (a backlog) and is
SIGKILLed. A fresh server Y (stores of its own) now listens on P: neither a new kernel's
start-up replay nor ``trackside sync`` may send the journal there (today's URI-keyed replay
would, and Y would refuse the unknown run: dead letters). Once X is back on P, ``trackside
sync`` delivers every point exactly once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..kernel_helpers import REPO, create_run, rest
from .kernels import Kernel
from .plugin import Figures
from .points import check
from .workload import expected

# Four server starts (two of them PostgreSQL with 4 workers) and three kernels: on a loaded
# 2-core runner that alone can pass the suite's 300 s default.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REACHED = 500  # points X took before it went away
BACKLOG = 2500  # points journaled while X was away


def _sync(journal: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trackside.cli", "sync", "--journal-dir", str(journal),
         "--timeout", str(timeout)],
        capture_output=True, text=True, timeout=timeout + 120, cwd=REPO,
    )  # fmt: skip


def _runs_in(url: str) -> list[dict[str, Any]]:
    answer = rest(url, "/api/2.0/mlflow/runs/search", {"experiment_ids": ["0"]})
    return list(answer.get("runs", []))


def _sigkill(kernel: Kernel) -> None:
    """The kernel process SIGKILLs itself (no atexit, no flush), as in a crash."""
    kernel.submit("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    deadline = time.monotonic() + 60
    while kernel.manager.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not kernel.manager.is_alive()


def _orphans(journal: Path) -> list[Path]:
    return [p for p in journal.iterdir() if p.is_dir() and not p.name.startswith(".")]


@pytest.mark.reliability("A18")
def test_orphan_is_never_replayed_into_another_server_on_the_same_port(
    fresh_tracking_backend: Any,
    start_kernel: Callable[..., Kernel],
    figures: Figures,
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal"
    x = fresh_tracking_backend()
    run_id = create_run(x.url)
    kernel = start_kernel(x.url, journal)
    kernel.install()
    kernel.run(f"print(log_series({run_id!r}, 'x', range({REACHED})))")
    assert kernel.run("print(durable.flush(60))").strip() == "True"  # X reached and recorded
    x.kill()
    kernel.run(f"print(log_series({run_id!r}, 'x', range({REACHED}, {REACHED + BACKLOG})))")
    assert int(kernel.run("print(durable.backlog())")) == BACKLOG
    _sigkill(kernel)
    (orphan,) = _orphans(journal)

    y = fresh_tracking_backend(port=x.port)  # another store, same address
    assert y.url == x.url

    # a new kernel on the same URI: its start-up replay leaves the journal alone and says why
    newcomer = start_kernel(y.url, journal)
    newcomer.run("%load_ext trackside")
    newcomer.drain_iopub()
    said = "".join(newcomer.stderr)
    assert "belongs to another MLflow server" in said, said
    newcomer.run("%unload_ext trackside")  # its own (empty) journal goes with it
    newcomer.stop()

    refused = _sync(journal, timeout=10)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "belongs to another MLflow server" in refused.stdout, refused.stdout
    assert f"its {BACKLOG} entries are kept" in refused.stdout, refused.stdout
    assert _runs_in(y.url) == [], "the other server got the journal's run"
    assert not (journal / "dead-letter.jsonl").exists()
    assert _orphans(journal) == [orphan]
    figures.note("another server on the same port: journal kept, 0 requests sent to it")

    y.kill()
    x.restart()
    started = time.monotonic()
    done = _sync(journal, timeout=120)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{BACKLOG} entries sent, 0 left" in done.stdout, done.stdout
    figures.recovered_in(took)
    found = check(x.url, expected(run_id, "x", range(REACHED + BACKLOG)))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found
    assert _orphans(journal) == []
