"""Where a project may be: a directory under a root, or (when allowed) a remote URI."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from .errors import ProjectError
from .spec import find_mlproject

# What MLflow's `mlflow run` treats as remote (mlflow/projects/utils.py _is_valid_branch_name
# and _parse_subdirectory / _GIT_URI_REGEX): URL schemes and scp-like git addresses.
_REMOTE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://|git\+|git@|[\w.-]+@[\w.-]+:)")
REMOTE_REFUSED = "remote project URIs are disabled (c.Trackside.allow_remote_projects)"


def is_remote(path: str) -> bool:
    return bool(_REMOTE.match(path.strip()))


def resolve_project(root: Path, path: str, *, allow_remote: bool) -> Path | str:
    """The project directory for ``path`` (relative to ``root``), or a permitted remote URI.

    Refuses NUL, percent-encoded forms, ``..`` escapes, absolute paths and symlinks that
    land outside ``root`` (checked after resolving), and remote URIs unless allowed.
    """
    if "\x00" in path:
        raise ProjectError("the project path contains a NUL character", field="path")
    if is_remote(path):
        if not allow_remote:
            raise ProjectError(REMOTE_REFUSED, field="path")
        return path.strip()
    if unquote(path) != path:
        raise ProjectError(
            f"the project path {path!r} is percent-encoded; give the plain path", field="path"
        )
    if not path.strip():
        raise ProjectError("no project path given", field="path")
    base = root.resolve()
    candidate = Path(path)
    target = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if target != base and base not in target.parents:
        raise ProjectError(
            f"the project path {path!r} is outside the root directory {str(base)!r}",
            field="path",
        )
    if not target.is_dir():
        raise ProjectError(f"the project path {path!r} is not a directory", field="path")
    if find_mlproject(target) is None:
        raise ProjectError(f"{path!r} has no MLproject file", field="path")
    return target
