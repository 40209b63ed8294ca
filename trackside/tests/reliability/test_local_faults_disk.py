"""A11: the journal's disk fills up (a real 16 KiB tmpfs mounted where the journal lives).

README's bad-input table: "a full disk for the journal — one warning, then synchronous sending;
nothing dropped". The test needs root to mount the tmpfs (CI and ``scripts/dev test`` run as
root); without it the test fails and says why, it is never skipped.
"""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import pytest

from trackside.kernel.journal.durable import DurableWarning

from ..kernel_helpers import get_run
from .points import Point
from .test_inputs_keys import durable_logging, record_points

TMPFS_SIZE = "8k"  # two pages: owner.json and about fifty journal records
POINTS = 100


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "full"
    folder.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.fail("A11 needs `mount` (util-linux) to put the journal on a tiny tmpfs")
    if mounted.returncode != 0:
        pytest.fail(
            f"A11 needs a tiny tmpfs for the journal: `{' '.join(command)}` failed"
            f" ({mounted.stderr.strip() or mounted.returncode}); run the tests as root"
            f" (euid {os.geteuid()}) in a container or VM that allows mounts"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, timeout=30)


@pytest.mark.reliability("A11")
def test_full_journal_disk_warns_once_sends_synchronously_and_drops_nothing(
    tracking_backend: Any, tiny_disk: Path, figures: Any
) -> None:
    url = tracking_backend.url
    logged: list[Point] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with durable_logging(url, tiny_disk) as durable:
            with mlflow.start_run() as run:
                run_id = run.info.run_id
                start = int(time.time() * 1000)
                for i in range(POINTS):
                    mlflow.log_metric("x", float(i), step=i, timestamp=start + i)
                    logged.append(Point(run_id, "x", i, start + i, float(i)))
                mlflow.log_param("after_full", "kept")
                status = durable.status()
            assert durable.flush(60), durable.status()
        journal_errors = [w for w in caught if issubclass(w.category, DurableWarning)]
        others = [str(w.message) for w in caught if "trackside" in str(w.message)]

    # the disk really filled: the documented fallback took over, with exactly one warning
    assert status["synchronous_fallback"] is True, status
    assert len(journal_errors) == 1, [str(w.message) for w in journal_errors]
    assert "logging synchronously to MLflow" in str(journal_errors[0].message)
    assert len(others) == 1, others  # nothing else from Trackside (no sender errors)
    figures.note(f"journal on a {TMPFS_SIZE} tmpfs; fallback to synchronous sending")

    assert record_points(figures, url, logged) == (0, 0)
    info = get_run(url, run_id)
    assert info["info"]["status"] == "FINISHED"
    assert {"key": "after_full", "value": "kept"} in info["data"]["params"]
