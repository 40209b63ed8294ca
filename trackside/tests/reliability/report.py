"""Merge the reliability results into ``docs/reliability.md``; fail on any gap.

    python -m trackside.tests.reliability.report [--check-only]

Reads ``.reliability/pytest.json`` (written by the pytest plugin) and
``.reliability/galata.json`` (Playwright's JSON reporter; the row is in the test
title, e.g. ``[C8] …``). Exits 1 and names every row that is missing on a backend,
failed or skipped, or lost or duplicated a point.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .rows import ROWS

REPO = Path(__file__).resolve().parents[3]
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ANY = "any"  # a result that holds on every backend by its nature
ROW_IN_TITLE = re.compile(r"\[((?:[ABC]\d+)(?:\s*,\s*[ABC]\d+)*)\]")


@dataclass
class Result:
    test: str
    rows: list[str]
    backend: str
    outcome: str  # passed | failed | error | skipped
    figures: dict[str, Any] | None = None


@dataclass
class Cell:
    """One row on one backend."""

    outcomes: list[str] = field(default_factory=list)
    independent: bool = False
    logged: int = 0
    in_mlflow: int = 0
    lost: int = 0
    duplicated: int = 0
    counted: bool = False
    recovery_s: float | None = None
    notes: list[str] = field(default_factory=list)

    def add(self, result: Result) -> None:
        self.outcomes.append(result.outcome)
        self.notes.extend(str(note) for note in (result.figures or {}).get("notes", []))
        self.independent = self.independent or result.backend == ANY
        found = result.figures or {}
        if found.get("counted"):
            self.counted = True
            for name in ("logged", "in_mlflow", "lost", "duplicated"):
                setattr(self, name, getattr(self, name) + int(found.get(name, 0)))
        if found.get("recovery_s") is not None:
            self.recovery_s = max(float(found["recovery_s"]), self.recovery_s or 0.0)

    @property
    def verdict(self) -> str:
        if not self.outcomes:
            return "missing"
        for bad in ("failed", "error", "skipped"):
            if bad in self.outcomes:
                return bad
        return "passed"


def pytest_results(path: Path) -> Iterator[Result]:
    if not path.exists():
        return
    for entry in json.loads(path.read_text()).get("tests", []):
        yield Result(
            test=str(entry["nodeid"]),
            rows=list(entry["rows"]),
            backend=str(entry.get("backend", ANY)),
            outcome=str(entry["outcome"]),
            figures=entry.get("figures"),
        )


def galata_results(path: Path) -> Iterator[Result]:
    if not path.exists():
        return
    yield from _suites(json.loads(path.read_text()).get("suites", []), [])


def _suites(suites: Iterable[dict[str, Any]], titles: list[str]) -> Iterator[Result]:
    for suite in suites:
        here = [*titles, str(suite.get("title", ""))]
        for spec in suite.get("specs", []):
            title = " ".join([*here, str(spec.get("title", ""))])
            rows = [r.strip() for m in ROW_IN_TITLE.findall(title) for r in m.split(",")]
            if not rows:
                continue
            file = str(spec.get("file", suite.get("file", "")))
            for test in spec.get("tests", []) or [{}]:
                yield Result(
                    test=f"ui-tests/{file} > {spec.get('title', '')}",
                    rows=rows,
                    backend=ANY,
                    outcome=_galata_outcome(test),
                )
        yield from _suites(suite.get("suites", []), here)


def _galata_outcome(test: dict[str, Any]) -> str:
    status = test.get("status")
    if status == "expected":
        return "passed"
    if status == "skipped":
        return "skipped"
    return "failed"  # unexpected, flaky (retries are off: a flake must show) or no run


def tabulate(results: Iterable[Result]) -> dict[str, dict[str, Cell]]:
    table = {row: {backend: Cell() for backend in BACKENDS} for row in ROWS}
    for result in results:
        for row in result.rows:
            if row not in table:
                continue
            targets = list(BACKENDS) if result.backend == ANY else [result.backend]
            for backend in targets:
                if backend in table[row]:
                    table[row][backend].add(result)
    return table


def problems(table: dict[str, dict[str, Cell]]) -> list[str]:
    found: list[str] = []
    for row, cells in table.items():
        for backend, cell in cells.items():
            if cell.verdict != "passed":
                found.append(f"{row} {cell.verdict} on {BACKENDS[backend]}")
            if cell.lost or cell.duplicated:
                found.append(
                    f"{row} on {BACKENDS[backend]}: {cell.lost} lost, {cell.duplicated} duplicated"
                )
    return found


def render(table: dict[str, dict[str, Cell]], tests: dict[str, list[str]]) -> str:
    lines = [
        "# Reliability and security results",
        "",
        "Generated by `python -m trackside.tests.reliability.report` from the last",
        "`scripts/dev test` run (pytest and Galata); do not edit by hand. Points are",
        "logged / in MLflow / lost / duplicated, summed over the row's tests on that backend.",
        "",
        "| row | scenario | SQLite | PostgreSQL | points (SQLite) | points (PostgreSQL) "
        "| time to recover | test(s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row, (title, criterion) in ROWS.items():
        cells = table[row]
        verdicts = [_verdict(cells[b]) for b in BACKENDS]
        figures = [_points(cells[b]) for b in BACKENDS]
        recovery = " · ".join(
            f"{cells[b].recovery_s:.1f} s" for b in BACKENDS if cells[b].recovery_s is not None
        )
        names = "<br>".join(f"`{name}`" for name in sorted(set(tests.get(row, [])))) or "—"
        lines.append(
            f"| {row} | {_cell(title)} — {_cell(criterion)} | {verdicts[0]} | {verdicts[1]} "
            f"| {figures[0]} | {figures[1]} | {recovery or '—'} | {names} |"
        )
    lines += ["", "## What the tests noted", ""]
    for row, cells in table.items():
        for backend, cell in cells.items():
            for note in dict.fromkeys(cell.notes):  # a backend-independent note once per column
                lines.append(f"- {row}, {BACKENDS[backend]}: {note}")
    lines.append("")
    return "\n".join(lines)


def _verdict(cell: Cell) -> str:
    mark = {"passed": "pass", "missing": "**missing**"}.get(cell.verdict, f"**{cell.verdict}**")
    return f"{mark} (backend-independent)" if cell.independent and cell.outcomes else mark


def _points(cell: Cell) -> str:
    if not cell.counted:
        return "—"
    return f"{cell.logged} / {cell.in_mlflow} / {cell.lost} / {cell.duplicated}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _test_name(test: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", test)  # one name for a test's backend variants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / ".reliability")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "reliability.md")
    args = parser.parse_args(argv)
    results = [
        *pytest_results(args.results / "pytest.json"),
        *galata_results(args.results / "galata.json"),
    ]
    table = tabulate(results)
    tests: dict[str, list[str]] = {}
    for result in results:
        for row in result.rows:
            tests.setdefault(row, []).append(_test_name(result.test))
    args.output.write_text(render(table, tests))
    found = problems(table)
    holding = sum(
        1
        for cells in table.values()
        for cell in cells.values()
        if cell.verdict == "passed" and not (cell.lost or cell.duplicated)
    )
    print(f"reliability: {holding} of {len(ROWS) * len(BACKENDS)} row/backend cells hold;"
          f" wrote {args.output}")  # fmt: skip
    for problem in found:
        print(f"  {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
