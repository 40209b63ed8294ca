"""MLflow Projects, the pure part shared by the Jupyter server and the kernel magic.

Reads and checks MLproject files (:mod:`.spec`), parameter values (:mod:`.params`),
project paths (:mod:`.paths`) and builds the ``mlflow run`` argv (:mod:`.command`).
Imports neither jupyter_server nor IPython nor the server or kernel packages.
"""

from __future__ import annotations

from .command import (
    DEFAULT_ENV_MANAGER,
    ENV_MANAGERS,
    RUN_ID,
    display_command,
    env_manager_available,
    mlflow_run_argv,
    mlflow_run_environment,
)
from .errors import ProjectError
from .params import check_parameters, value_problem
from .paths import REMOTE_REFUSED, is_remote, resolve_project
from .spec import (
    PARAMETER_TYPES,
    EntryPoint,
    Environment,
    Parameter,
    ProjectSpec,
    find_mlproject,
    load_project,
    parse_mlproject,
)

__all__ = [
    "DEFAULT_ENV_MANAGER",
    "ENV_MANAGERS",
    "PARAMETER_TYPES",
    "REMOTE_REFUSED",
    "RUN_ID",
    "EntryPoint",
    "Environment",
    "Parameter",
    "ProjectError",
    "ProjectSpec",
    "check_parameters",
    "display_command",
    "env_manager_available",
    "find_mlproject",
    "is_remote",
    "load_project",
    "mlflow_run_argv",
    "mlflow_run_environment",
    "parse_mlproject",
    "resolve_project",
    "value_problem",
]
