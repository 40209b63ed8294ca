"""A12: several kernels log fast into one server at once.

Three kernels write disjoint steps of one metric of one run, all at the same time: the
stored history must be the union of what each logged. SQLite's "database is locked" may
occur, but only as a transient the sender retries (nothing dead-lettered).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ..kernel_helpers import create_run
from .kernels import Kernel
from .plugin import Figures
from .points import check
from .workload import expected

pytestmark = [pytest.mark.slow]

KERNELS = 3
EACH = 3000


@pytest.mark.reliability("A12")
def test_kernels_logging_at_once_store_the_union(
    tracking_backend: Any, start_kernel: Callable[..., Kernel], figures: Figures, tmp_path: Path
) -> None:
    run_id = create_run(tracking_backend.url)
    journal = tmp_path / "journal"
    kernels = [start_kernel(tracking_backend.url, journal) for _ in range(KERNELS)]
    for kernel in kernels:
        kernel.install()
    started = time.monotonic()
    pending = [
        kernel.submit(f"log_series({run_id!r}, 'x', range({k * EACH}, {(k + 1) * EACH}))")
        for k, kernel in enumerate(kernels)
    ]
    for kernel, msg_id in zip(kernels, pending, strict=True):
        assert kernel.reply(msg_id, timeout=300)["status"] == "ok"
    for kernel in kernels:
        assert kernel.run("print(durable.flush(240))").strip() == "True"
    figures.note(f"{KERNELS} kernels x {EACH} points stored in {time.monotonic() - started:.1f} s")
    assert not (journal / "dead-letter.jsonl").exists()
    assert not any("rejected" in text for kernel in kernels for text in kernel.stderr)
    found = check(tracking_backend.url, expected(run_id, "x", range(KERNELS * EACH)))
    figures.points(found.logged, found.in_mlflow, found.lost, found.duplicated)
    assert found.lost == 0 and found.duplicated == 0, found
