"""The side-by-side harness (bench/peers) in --quick mode, for real: two ``mlflow server``s,
a tracked kernel with its live comm, ``kill -9`` and ``trackside sync``.

It checks the harness's JSON (exact counts), not speed: figures belong to the benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from bench.peers import durability, end_to_end, per_call

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_quick_run_for_trackside_counts_every_point_and_reports_a_missing_peer(tmp_path):
    results = tmp_path / "results"
    # A real interpreter without Trackio: the harness must say `missing`, with the ImportError.
    venv.create(tmp_path / "venvs" / "trackio", with_pip=False)
    env = {
        **os.environ,
        "BENCH_PEERS_RESULTS": str(results),
        "BENCH_PEERS_VENVS": str(tmp_path / "venvs"),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.peers", "--quick", "--no-report",
         "--only", "per_call,end_to_end,durability", "--tools", "trackside,trackio"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    def tools(measure: str) -> dict:
        report = json.loads((results / f"{measure}.json").read_text())
        assert report["measure"] == measure and "cores" in report["machine"]
        return report["tools"]

    calls = tools("per_call")
    assert calls["trackside"]["status"] == "ok", calls["trackside"]
    assert calls["trackside"]["calls"] == per_call.QUICK_ROUNDS * per_call.QUICK_CALLS
    assert 0 < calls["trackside"]["median_us"] <= calls["trackside"]["p99_us"]

    million = tools("end_to_end")["trackside"]
    assert million["status"] == "ok", million
    assert million["points"] == million["stored"] == end_to_end.QUICK_POINTS
    assert million["count_ok"] and million["checksum_ok"]
    assert million["seconds_to_readable"] > 0

    killed = tools("durability")["trackside"]
    assert killed["status"] == "ok", killed
    assert killed["logged"] == killed["recovered"] == durability.QUICK_POINTS
    assert "trackside sync" in killed["how"]

    for measure in ("per_call", "end_to_end", "durability"):
        trackio = tools(measure)["trackio"]
        assert trackio["status"] == "missing"
        assert "No module named 'trackio'" in trackio["reason"]
