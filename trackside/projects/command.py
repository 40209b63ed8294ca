"""The `mlflow run` command line, and what is read back from its output.

Always an argv list, never a shell string: a parameter value with shell
metacharacters is one ``-P`` element, passed verbatim (MLflow quotes it when it
fills the entry point's command).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import ProjectError

ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")
DEFAULT_ENV_MANAGER = "local"
# mlflow/projects/backend/local.py logs "=== Running command '…' in run with ID '<id>' ==="
RUN_ID = re.compile(r"in run with ID '([0-9a-f]{32})'")


def mlflow_run_argv(
    project: Path | str,
    entry_point: str,
    parameters: Mapping[str, str],
    *,
    experiment_name: str | None,
    env_manager: str = DEFAULT_ENV_MANAGER,
) -> list[str]:
    """``python -m mlflow run PROJECT -e ENTRY -P k=v… --env-manager M [--experiment-name N]``."""
    if env_manager not in ENV_MANAGERS:
        raise ProjectError(
            f"unknown environment manager '{env_manager}' (known: {', '.join(ENV_MANAGERS)})",
            field="env_manager",
        )
    argv = [sys.executable, "-m", "mlflow", "run", str(project), "-e", entry_point]
    for key, value in parameters.items():
        argv += ["-P", f"{key}={value}"]
    argv += ["--env-manager", env_manager]
    if experiment_name:
        argv += ["--experiment-name", experiment_name]
    return argv


# `mlflow run` reads these as its own options: an inherited run id is resumed, and an
# experiment id beside --experiment-name makes it refuse to start.
RUN_OPTION_VARIABLES = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")


def mlflow_run_environment(base: Mapping[str, str], tracking_uri: str) -> dict[str, str]:
    """The environment of ``mlflow run``: ``base`` logging to ``tracking_uri``, unbuffered,
    without the variables MLflow would take for a run or an experiment of the caller's."""
    env = {name: value for name, value in base.items() if name not in RUN_OPTION_VARIABLES}
    env.update(MLFLOW_TRACKING_URI=tracking_uri, PYTHONUNBUFFERED="1")
    # `--env-manager local` runs the MLproject's `python …` by name: the Python beside this
    # one (with MLflow) comes first, even when its bin/ is not on PATH.
    env["PATH"] = os.pathsep.join(filter(None, [os.path.dirname(sys.executable), base.get("PATH")]))
    return env


def display_command(argv: Sequence[str]) -> str:
    """The command as the user would type it (``mlflow run …``), shell-quoted."""
    return shlex.join(["mlflow", *argv[3:]])


def env_manager_available(name: str) -> bool:
    """Whether ``mlflow run --env-manager NAME`` can work on this machine."""
    if name == "local":
        return True
    if name == "virtualenv":
        # MLflow installs the project's Python with pyenv, then makes a venv from it.
        return shutil.which("pyenv") is not None
    if name in ("uv", "conda"):
        return shutil.which(name) is not None
    return False
