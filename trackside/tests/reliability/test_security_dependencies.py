"""C14: the server-side dependencies stay above their last fixed security advisories.

Each floor is the first release with the fix of the newest advisory we know of for that
package; raising one is a one-line change here and in pyproject.toml. Both the installed
versions (what CI runs) and pyproject's own floors (what users get) are checked.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"

# package -> (first fixed release, the advisory it fixes)
FLOORS = {
    "mlflow": (
        "3.16.1",
        "GHSA-gq3w-7jj3-x7gr: basic-auth's default admin password (the embedded server "
        "runs the basic-auth app)",
    ),
    "jupyter_server": (
        "2.21.0",
        "GHSA-c3mw-737p-c7g2: a token in the Referer header written to the log on a 5xx; "
        "CVE-2026-40110 (allow_origin_pat matched as a prefix) fixed earlier",
    ),
    "jupyterlab": ("4.5.7", "CVE-2026-42557: HTML command injection"),
}


def declared_floor(package: str) -> Version | None:
    """The lowest version pyproject's dependencies allow for ``package``."""
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    wanted = package.replace("_", "-").lower()
    for line in dependencies:
        requirement = Requirement(line)
        if requirement.name.replace("_", "-").lower() == wanted:
            lows = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
            return max(lows) if lows else None
    return None


@pytest.mark.reliability("C14")
@pytest.mark.parametrize("package", sorted(FLOORS))
def test_dependency_is_above_its_last_fixed_advisory(package, figures):
    floor, advisory = FLOORS[package]
    installed = Version(version(package))
    assert installed >= Version(floor), f"{package} {installed} is below {floor} ({advisory})"
    declared = declared_floor(package)
    assert declared is not None, f"pyproject.toml does not declare {package}"
    assert declared >= Version(floor), (
        f"pyproject.toml lets {package} {declared} be installed; {advisory} "
        f"is fixed only from {floor}"
    )
    figures.note(f"{package}: installed {installed}, pyproject >= {declared}, floor {floor}")
