"""A2, A8, A9, A13: a server or a kernel killed, a kernel shut down, replays into changed runs.

Moved here from ``test_durable_faults.py`` (A2, A8) and run on both backends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trackside.kernel.journal.records import iter_records, read_ack

from ..kernel_helpers import REPO, create_run, get_run, rest
from .fault_proxy import fault_proxy
from .kernels import Kernel
from .plugin import Figures
from .points import Point, check, compare, stored_for
from .workload import expected

pytestmark = [pytest.mark.slow]

LOG_BATCH = "/runs/log-batch"


def _record(figures: Figures, url: str, logged: list[Point]) -> None:
    found = check(url, logged)
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found


def _journals(journal: Path) -> list[Path]:
    return [p for p in journal.iterdir() if p.is_dir() and not p.name.startswith(".")]


def _unacked(journal: Path) -> int:
    return sum(sum(1 for _ in iter_records(j, read_ack(j))) for j in _journals(journal))


def _sync(journal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trackside.cli", "sync", "--journal-dir", str(journal), *args],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )  # fmt: skip


@pytest.mark.reliability("A2")
def test_server_killed_mid_run_and_restarted(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures
) -> None:
    url = tracking_backend.url
    kernel = start_kernel(url)
    kernel.install()
    run_id = kernel.run("run = mlflow.start_run(); print(run.info.run_id)").strip()
    # ~6 s of logging; the server dies ~2 s in and is back ~8 s later
    msg_id = kernel.submit(
        f"print(log_series({run_id!r}, 'x', range(3000), pause_every=50, pause_s=0.1))\n"
        "mlflow.log_param('p', 'v')\n"
        "mlflow.end_run()\n"
    )
    time.sleep(2)
    tracking_backend.kill()
    down_at = time.monotonic()
    assert kernel.reply(msg_id, timeout=300)["status"] == "ok"
    # the loop went on while the server was down and no call waited on the network
    assert int(kernel.run("print(durable.backlog())").strip()) > 0
    time.sleep(max(0.0, 8 - (time.monotonic() - down_at)))
    tracking_backend.restart()
    back_at = time.monotonic()
    assert kernel.run("print(durable.flush(240))").strip() == "True"
    figures.recovered_in(time.monotonic() - back_at)
    _record(figures, url, expected(run_id, "x", range(3000)))
    run = get_run(url, run_id)
    assert run["info"]["status"] == "FINISHED"
    assert run["data"]["params"] == [{"key": "p", "value": "v"}]
    kernel.drain_iopub()
    said = [line for text in kernel.stderr for line in text.splitlines() if "Warning" in line]
    shown = [line.split("SenderWarning: ")[-1].split(" (")[0] for line in said]
    figures.note(f"{len(said)} warning(s) while the server was away: {shown}")
    assert len(said) == 1, said  # told once that MLflow is away, not once per retry


@pytest.mark.reliability("A8")
def test_kernel_sigkilled_with_points_queued_is_replayed_exactly_once(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    run_id = create_run(tracking_backend.url)
    with fault_proxy(tracking_backend.url) as proxy:
        # slow answers keep points queued, and requests on their way commit after the death
        proxy.delay(LOG_BATCH, seconds=2, times=1000)
        doomed = start_kernel(proxy.url, journal)
        doomed.install()
        doomed.submit(
            f"log_series({run_id!r}, 'x', range(5000))\n"
            "import os, signal; os.kill(os.getpid(), signal.SIGKILL)\n"
        )
        deadline = time.monotonic() + 120
        while doomed.manager.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not doomed.manager.is_alive()
        assert len(_journals(journal)) == 1
        left = _unacked(journal)
        assert left > 0, "the kernel should have died with points queued"
        figures.note(f"{left} of 5000 points unacknowledged when the kernel died")
        proxy.clear()
        fresh = start_kernel(proxy.url, journal)
        started = time.monotonic()
        report = fresh.json(
            "import json\n"
            "from trackside.kernel.journal.durable import replay_orphans\n"
            "r = replay_orphans(timeout=240)\n"
            "print(json.dumps({'ok': r.ok, 'sent': r.sent, 'left': r.remaining,"
            " 'summary': r.summary()}))",
        )
        figures.recovered_in(time.monotonic() - started)
    assert report["ok"], report["summary"]
    assert report["sent"] >= left and report["left"] == 0
    assert not _journals(journal)
    _record(figures, tracking_backend.url, expected(run_id, "x", range(5000)))


@pytest.mark.reliability("A9")
def test_kernel_shut_down_while_the_server_is_down(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    run_id = create_run(tracking_backend.url)
    flush_timeout = 3
    with fault_proxy(tracking_backend.url) as proxy:
        proxy.refuse()
        kernel = start_kernel(proxy.url, journal)
        kernel.install(flush_timeout=flush_timeout)
        kernel.run(f"log_series({run_id!r}, 'x', range(1000))")
        asked = time.monotonic()
        kernel.client.shutdown()  # a polite shutdown: atexit flushes for flush_timeout
        while kernel.manager.is_alive() and time.monotonic() - asked < 60:
            time.sleep(0.05)
        took = time.monotonic() - asked
        figures.note(f"kernel exited {took:.1f} s after the shutdown request")
        # the flush timeout plus what a kernel takes to stop anyway
        assert took < flush_timeout + 5, took
        assert _unacked(journal) == 1000  # everything stayed in the journal
        proxy.heal()
        healed = time.monotonic()
        done = _sync(journal, "--timeout", "120")
        figures.recovered_in(time.monotonic() - healed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1000 entries sent, 0 left" in done.stdout, done.stdout
    _record(figures, tracking_backend.url, expected(run_id, "x", range(1000)))


@pytest.mark.reliability("A13")
def test_replay_into_a_deleted_run_and_a_finished_run(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures, tmp_path: Path
) -> None:
    url = tracking_backend.url
    journal = tmp_path / "journal"
    deleted, finished = create_run(url), create_run(url)
    with fault_proxy(url) as proxy:
        proxy.refuse()
        doomed = start_kernel(proxy.url, journal)
        doomed.install()
        doomed.run(
            f"log_series({deleted!r}, 'x', range(300))\nlog_series({finished!r}, 'x', range(300))"
        )
        doomed.sigkill()
        rest(url, "/api/2.0/mlflow/runs/delete", {"run_id": deleted})
        rest(url, "/api/2.0/mlflow/runs/update", {"run_id": finished, "status": "FINISHED"})
        proxy.heal()
        done = _sync(journal, "--timeout", "60")
        batches = [p for p in proxy.requests if p.endswith(LOG_BATCH)]
    assert "600 entries" not in done.stdout  # not all accepted: one run is gone
    assert "300 dead-lettered" in done.stdout, done.stdout
    assert len(batches) == 2, batches  # one request per run: the refused one is not retried
    letters = [
        json.loads(line) for line in (journal / "dead-letter.jsonl").read_text().splitlines()
    ]
    dead = [
        Point(d["run_id"], m["key"], m["step"], m["timestamp"], float(m["value"]))
        for d in letters
        for m in d["metrics"]
    ]
    assert compare(expected(deleted, "x", range(300)), dead).exact
    stored = stored_for(url, expected(finished, "x", range(300)))
    logged = expected(deleted, "x", range(300)) + expected(finished, "x", range(300))
    found = compare(logged, [*stored, *dead])
    figures.points(found.logged, len(stored), found.lost, found.duplicated)
    figures.note("300 points for the deleted run dead-lettered by design")
    assert found.lost == 0 and found.duplicated == 0, found
    assert get_run(url, finished)["info"]["status"] == "FINISHED"
