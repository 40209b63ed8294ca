"""The reliability framework itself: point comparison, the report, the fault proxy."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ..kernel_helpers import REPO
from ..servers import recording_peer
from . import report
from .fault_proxy import fault_proxy
from .points import Point, compare
from .rows import ROWS

NAN = math.nan


def test_compare_counts_lost_and_duplicated_as_multisets_with_nan_equal_to_nan() -> None:
    logged = [Point("r", "x", 0, 10, NAN), Point("r", "x", 1, 11, 0.5), Point("r", "x", 1, 11, 0.5)]
    assert compare(logged, list(logged)).exact
    stored = [Point("r", "x", 0, 10, NAN), Point("r", "x", 0, 10, NAN), Point("r", "x", 1, 11, 0.5)]
    result = compare(logged, stored)
    assert (result.logged, result.in_mlflow, result.lost, result.duplicated) == (3, 3, 1, 1)
    # infinity comes back from MLflow's SQL stores as the largest float
    assert compare(
        [Point("r", "x", 0, 1, math.inf)], [Point("r", "x", 0, 1, 1.7976931348623157e308)]
    ).exact
    # a value, step, timestamp, key or run that differs is both lost and an extra point
    for changed in (
        Point("r", "x", 1, 11, 0.25),
        Point("r", "x", 2, 11, 0.5),
        Point("r", "x", 1, 12, 0.5),
        Point("r", "y", 1, 11, 0.5),
        Point("s", "x", 1, 11, 0.5),
    ):
        result = compare([Point("r", "x", 1, 11, 0.5)], [changed])
        assert (result.lost, result.duplicated) == (1, 1), changed


def _entry(
    nodeid: str, rows: list[str], backend: str, outcome: str = "passed", lost: int = 0
) -> dict[str, object]:
    figures = {"logged": 10, "in_mlflow": 10 - lost, "lost": lost, "duplicated": 0,
               "recovery_s": 2.5, "notes": [], "counted": True}  # fmt: skip
    return {"nodeid": nodeid, "rows": rows, "backend": backend, "outcome": outcome,
            "figures": figures}  # fmt: skip


def _galata(title: str, status: str) -> dict[str, object]:
    # Playwright names files relative to ui-tests/ (its config folder).
    spec = {"title": title, "file": "tests/security.spec.ts", "tests": [{"status": status}]}
    return {"suites": [{"title": "security.spec.ts", "specs": [spec], "suites": []}]}


def _all_passing() -> list[dict[str, object]]:
    return [
        _entry(f"t.py::test_{row}[{backend}]", [row], backend)
        for row in ROWS
        for backend in ("sqlite", "postgresql")
    ]


def _run_report(tmp_path: Path, entries: list[dict[str, object]], galata: object = None) -> int:
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    (results / "pytest.json").write_text(json.dumps({"tests": entries}))
    if galata is not None:
        (results / "galata.json").write_text(json.dumps(galata))
    return report.main(["--results", str(results), "--output", str(tmp_path / "out.md")])


def test_report_passes_when_every_row_holds_on_both_backends(tmp_path: Path) -> None:
    assert _run_report(tmp_path, _all_passing()) == 0
    text = (tmp_path / "out.md").read_text()
    assert "| A1 |" in text and "| C15 |" in text
    assert "10 / 10 / 0 / 0" in text and "2.5 s" in text
    assert "`t.py::test_A1`" in text  # backend variants named once


def test_report_names_missing_failed_lost_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = [e for e in _all_passing() if e["rows"] != ["A2"]]  # A2 missing
    entries = [e for e in entries if not (e["rows"] == ["A3"] and e["backend"] == "postgresql")]
    entries.append(_entry("t.py::test_A4_again[sqlite]", ["A4"], "sqlite", outcome="failed"))
    entries.append(_entry("t.py::test_A5_again[postgresql]", ["A5"], "postgresql", lost=1))
    entries.append(_entry("t.py::test_A6_again[sqlite]", ["A6"], "sqlite", outcome="skipped"))
    assert _run_report(tmp_path, entries) == 1
    err = capsys.readouterr().err
    assert "A2 missing on SQLite" in err and "A2 missing on PostgreSQL" in err
    assert "A3 missing on PostgreSQL" in err and "A3 missing on SQLite" not in err
    assert "A4 failed on SQLite" in err
    assert "A5 on PostgreSQL: 1 lost, 0 duplicated" in err
    assert "A6 skipped on SQLite" in err  # a skip never counts as a pass
    assert "A1" not in err


def test_report_reads_galata_rows_from_titles_as_backend_independent(tmp_path: Path) -> None:
    entries = [e for e in _all_passing() if e["rows"] != ["C8"]]
    assert (
        _run_report(tmp_path, entries, _galata("[C8] stored script shown as text", "expected")) == 0
    )
    text = (tmp_path / "out.md").read_text()
    assert "pass (backend-independent)" in text
    assert "`ui-tests/tests/security.spec.ts > [C8] stored script shown as text`" in text
    failing = _galata("[C8] stored script shown as text", "unexpected")
    assert _run_report(tmp_path, entries, failing) == 1


def test_proxy_forwards_and_follows_its_script() -> None:
    with recording_peer() as peer, fault_proxy(peer.url) as proxy:
        proxy.fail("/log-batch", 429, times=1, headers={"Retry-After": "3"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(proxy.url + "/api/2.0/mlflow/runs/log-batch", b"{}")
        assert refused.value.code == 429 and refused.value.headers["Retry-After"] == "3"
        assert json.loads(refused.value.read())["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert peer.requests == []  # a scripted failure never reaches the backend
        with urllib.request.urlopen(proxy.url + "/api/2.0/mlflow/runs/log-batch?a=1", b"{}") as ok:
            assert json.loads(ok.read()) == {"ok": True}
        assert [p for _, p, _ in peer.requests] == ["/api/2.0/mlflow/runs/log-batch?a=1"]
        assert proxy.requests == ["/api/2.0/mlflow/runs/log-batch", peer.requests[0][1]]


def test_proxy_resets_after_the_backend_committed() -> None:
    with recording_peer() as peer, fault_proxy(peer.url) as proxy:
        proxy.reset_after_commit("/log-batch", times=1)
        with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
            urllib.request.urlopen(proxy.url + "/api/2.0/mlflow/runs/log-batch", b"{}")
        assert len(peer.requests) == 1  # the backend did get it
        assert proxy.faulted("reset_after_commit")[0].status is None


def test_proxy_refuses_blackholes_and_heals() -> None:
    with recording_peer() as peer, fault_proxy(peer.url) as proxy:
        proxy.refuse()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        proxy.blackhole()
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            urllib.request.urlopen(proxy.url + "/health", timeout=1)
        proxy.heal()
        with urllib.request.urlopen(proxy.url + "/health", timeout=5) as ok:
            assert ok.status == 200


def test_proxy_delays_past_a_client_timeout() -> None:
    with recording_peer() as peer, fault_proxy(peer.url) as proxy:
        proxy.delay("/health", seconds=2, times=1)
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            urllib.request.urlopen(proxy.url + "/health", timeout=0.5)
        with urllib.request.urlopen(proxy.url + "/health", timeout=5) as ok:
            assert ok.status == 200


PLUGIN_TESTS = """
import pytest

@pytest.mark.reliability("A1", "A7")
@pytest.mark.parametrize("tracking_backend", ["sqlite", "postgresql"])
def test_row(tracking_backend, figures):
    figures.points(3, 2, 1, 0)
    figures.recovered_in(1.5)
    figures.note("seen")
    assert tracking_backend == "sqlite"

# Runs only in the child pytest below: the plugin must record a skip as "skipped" so
# that the report never counts it as a pass.
@pytest.mark.reliability("B6")
def test_skipped(figures):
    pytest.skip("a skipped row is recorded as skipped")

def test_unmarked():
    pass
"""


def test_plugin_writes_one_entry_per_marked_test_and_backend(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_rows.py").write_text(PLUGIN_TESTS)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "trackside.tests.reliability.plugin",
         "-p", "no:cacheprovider", "test_rows.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # test_row[postgresql] fails
    entries = json.loads((tmp_path / ".reliability" / "pytest.json").read_text())["tests"]
    found = {(e["nodeid"], e["backend"], e["outcome"]) for e in entries}
    assert found == {
        ("test_rows.py::test_row[sqlite]", "sqlite", "passed"),
        ("test_rows.py::test_row[postgresql]", "postgresql", "failed"),
        ("test_rows.py::test_skipped", "any", "skipped"),
    }
    row = next(e for e in entries if e["backend"] == "sqlite")
    assert row["rows"] == ["A1", "A7"]
    assert row["figures"]["lost"] == 1 and row["figures"]["recovery_s"] == 1.5
    assert row["figures"]["notes"] == ["seen"]
