"""Where a run came from: notebook path, cell id, cell source, git commit."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAG_NOTEBOOK = "trackside.notebook"
TAG_CELL_ID = "trackside.cell_id"
TAG_EXECUTION_COUNT = "trackside.execution_count"
TAG_SOURCE_ARTIFACT = "trackside.cell_source"
TAG_TRACKED = "trackside.tracked"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class CellInfo:
    """The cell IPython is running, as reported by its ``pre_run_cell`` event."""

    raw_cell: str = ""
    cell_id: str | None = None
    execution_count: int | None = None


def notebook_path(user_ns: dict[str, Any]) -> str | None:
    """The notebook's path as the Jupyter server told the kernel, if it did."""
    path = os.environ.get("JPY_SESSION_NAME") or user_ns.get("__session__")
    return path if isinstance(path, str) and path else None


def git_commit(folder: Path, timeout: float) -> str | None:
    """``git rev-parse HEAD`` in ``folder``; ``None`` when not a repo, no git, or too slow."""
    if timeout <= 0 or not folder.is_dir():
        return None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", commit) else None


def notebook_folder(path: str | None) -> Path:
    """The folder to look for a git repository in: the notebook's, else the kernel's cwd."""
    if path:
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = Path.cwd() / candidate
        if candidate.parent.is_dir():
            return candidate.parent
    return Path.cwd()


def source_artifact_path(cell: CellInfo) -> str:
    count = f"{cell.execution_count:04d}" if cell.execution_count is not None else "cell"
    suffix = f"-{_SAFE.sub('_', cell.cell_id)[:64]}" if cell.cell_id else ""
    return f"trackside/cells/{count}{suffix}.py"


def provenance_tags(
    cell: CellInfo, path: str | None, git_timeout: float, *, with_source: bool
) -> dict[str, str]:
    """Tags for a run that ``cell`` of the notebook at ``path`` created or used (MLflow's
    own source tags included)."""
    tags = {"mlflow.source.type": "NOTEBOOK"}
    if path:
        tags["mlflow.source.name"] = path
        tags[TAG_NOTEBOOK] = path
    if cell.cell_id:
        tags[TAG_CELL_ID] = cell.cell_id
    if cell.execution_count is not None:
        tags[TAG_EXECUTION_COUNT] = str(cell.execution_count)
    if with_source:
        tags[TAG_SOURCE_ARTIFACT] = source_artifact_path(cell)
    commit = git_commit(notebook_folder(path), git_timeout)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return tags
