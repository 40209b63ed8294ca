"""JupyterHub for a team using Trackside: one shared MLflow server, each user's own MLflow login.

    jupyterhub -f docs/jupyterhub_config.py

with, in the hub's environment (never in the users'):

- ``TRACKSIDE_MLFLOW_URL``: the shared MLflow server, started with ``--app-name basic-auth``
  (README, "Team set-up");
- ``TRACKSIDE_MLFLOW_LOGINS``: a JSON file ``{"<hub user>": "<their MLflow password>"}``, readable
  by the hub's Unix user only (mode 0600). Its users are the hub's allowed users; their MLflow
  accounts are created by MLflow's admin (``/api/2.0/mlflow/users/create``).

trackside/tests/test_jupyterhub.py runs this file as it is (it loads it and adds only ports,
folders and the proxy's path).
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821

MLFLOW_URL = os.environ["TRACKSIDE_MLFLOW_URL"]
LOGINS = Path(os.environ["TRACKSIDE_MLFLOW_LOGINS"])


def mlflow_logins() -> dict[str, str]:
    """Hub user -> MLflow password (read at each server start: a new password needs no restart;
    a new user does, for ``allowed_users``)."""
    return json.loads(LOGINS.read_text())


# Who may log in. DummyAuthenticator accepts any password: swap in your own authenticator
# (OAuthenticator, LDAPAuthenticator, PAM) and keep the rest.
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = set(mlflow_logins())

# SimpleLocalProcessSpawner runs every user's server as the hub's own Unix user, with a home
# folder per user. Users on one Unix account can read each other's files and processes (and
# so each other's MLflow password): use LocalProcessSpawner (a Unix user each), DockerSpawner
# or KubeSpawner where users must be kept apart.
c.JupyterHub.spawner_class = "simple"
c.Spawner.default_url = "/lab"

# The one MLflow server, configured once for every single-user server: the Trackside panel's
# gateway and every kernel (MLFLOW_TRACKING_URI) use it; no embedded server is started.
c.Spawner.args = [f"--Trackside.tracking_uri={MLFLOW_URL}"]


def give_mlflow_login(spawner) -> None:  # noqa: ANN001
    """Put the user's own MLflow login into their server's environment, and only theirs.

    Trackside's gateway sends it upstream as HTTP basic auth and kernels inherit it, so runs
    are logged as this user and MLflow's permissions apply; the browser never sees it.
    """
    name = spawner.user.name
    password = mlflow_logins().get(name)  # read at each start: a new password needs no restart
    if password is None:
        raise ValueError(f"{name} has no MLflow login in {LOGINS}; ask the MLflow admin.")
    spawner.environment["MLFLOW_TRACKING_USERNAME"] = name
    spawner.environment["MLFLOW_TRACKING_PASSWORD"] = password


c.Spawner.pre_spawn_hook = give_mlflow_login
