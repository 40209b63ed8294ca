"""pytest plugin: the ``figures`` fixture and ``.reliability/pytest.json`` at session end.

Every test marked ``@pytest.mark.reliability("A3", …)`` leaves one entry per run:
rows, backend ("sqlite", "postgresql", or "any" when it does not take a backend),
outcome, figures. A run over the default test paths starts the file afresh; a
targeted run replaces only the entries of the tests it ran.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .rows import ROWS

BACKEND_FIXTURES = ("tracking_backend", "fresh_tracking_backend")
RESULTS = ".reliability/pytest.json"

_figures_key = pytest.StashKey["Figures"]()
_outcome_key = pytest.StashKey[str]()
_entries_key = pytest.StashKey[list[dict[str, Any]]]()


@dataclass
class Figures:
    """What a reliability test saw. Recording never asserts: the test does."""

    logged: int = 0
    in_mlflow: int = 0
    lost: int = 0
    duplicated: int = 0
    recovery_s: float | None = None
    notes: list[str] = field(default_factory=list)
    counted: bool = False

    def points(self, logged: int, in_mlflow: int, lost: int, duplicated: int) -> None:
        """Add one comparison's counts (call once per run/key compared)."""
        self.logged += logged
        self.in_mlflow += in_mlflow
        self.lost += lost
        self.duplicated += duplicated
        self.counted = True

    def recovered_in(self, seconds: float) -> None:
        """Time from the fault's end to everything stored; the longest one counts."""
        self.recovery_s = max(seconds, self.recovery_s or 0.0)

    def note(self, text: str) -> None:
        self.notes.append(text)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    found = Figures()
    request.node.stash[_figures_key] = found
    return found


def rows_of(item: pytest.Item) -> list[str]:
    rows: list[str] = []
    for marker in item.iter_markers("reliability"):
        rows.extend(str(row) for row in marker.args)
    return rows


def backend_of(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        for name in BACKEND_FIXTURES:
            if name in callspec.params:
                value = callspec.params[name]
                return str(getattr(value, "name", value))
    return "any"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability(*rows): covers rows of the reliability checklist"
    )
    config.stash[_entries_key] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        unknown = [row for row in rows_of(item) if row not in ROWS]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: unknown reliability rows {unknown}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    if not rows_of(item):
        return report
    # the first phase that did not pass decides; a teardown error fails a passed test
    if item.stash.get(_outcome_key, "passed") == "passed" and not report.passed:
        if report.skipped:
            item.stash[_outcome_key] = "skipped"
        else:
            item.stash[_outcome_key] = "failed" if report.when == "call" else "error"
    if report.when == "teardown":
        _record(item)
    return report


def _record(item: pytest.Item) -> None:
    found = item.stash.get(_figures_key, None)
    item.config.stash[_entries_key].append(
        {
            "nodeid": item.nodeid,
            "rows": rows_of(item),
            "backend": backend_of(item),
            "outcome": item.stash.get(_outcome_key, "passed"),
            "figures": asdict(found) if found is not None else None,
            "finished_at": time.time(),
        }
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    entries = session.config.stash.get(_entries_key, [])
    if not entries:
        return
    path = Path(session.config.rootpath) / RESULTS
    fresh = session.config.args_source == pytest.Config.ArgsSource.TESTPATHS
    kept: list[dict[str, Any]] = []
    if not fresh and path.exists():
        ran = {entry["nodeid"] for entry in entries}
        try:
            kept = [e for e in json.loads(path.read_text())["tests"] if e["nodeid"] not in ran]
        except (ValueError, KeyError, TypeError):
            kept = []
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"tests": kept + entries}, indent=1))
    temporary.replace(path)
