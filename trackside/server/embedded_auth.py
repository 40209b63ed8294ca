"""The embedded MLflow server's credentials: random, per Jupyter server, never shown.

A Jupyter server that starts the embedded server makes a new admin password for it
(MLflow's basic-auth app). Only the Jupyter server (its gateway's ``Authorization``
header), its kernels and the processes it starts (``MLFLOW_TRACKING_USERNAME`` /
``MLFLOW_TRACKING_PASSWORD``) know it, so another local user, or a web page in the
browser, gets 401. It is kept, with the auth database, in ``<state>/mlflow-auth/<port>/``
(folders 0700, files 0600), so that a second Jupyter server on the same folder can adopt
the running server, and two servers on one folder but different ports keep apart.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

AUTH_DIR_NAME = "mlflow-auth"
CREDENTIALS_NAME = "credentials.json"
CONFIG_NAME = "basic_auth.ini"
AUTH_DB_NAME = "basic_auth.db"
USERNAME = "trackside"
# One user whose password never changes while the server runs: MLflow may keep a
# verified password for this long instead of hashing it (PBKDF2) on every request.
AUTH_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class EmbeddedCredentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password, in logs or tracebacks
        return f"EmbeddedCredentials(username={self.username!r}, password=<hidden>)"

    def client_environment(self) -> dict[str, str]:
        """What MLflow clients (kernels, `mlflow run`, served models) need to log in."""
        return {
            "MLFLOW_TRACKING_USERNAME": self.username,
            "MLFLOW_TRACKING_PASSWORD": self.password,
        }


def auth_dir(state_dir: Path, port: int) -> Path:
    """Where the credentials and auth database of the server on ``port`` live."""
    return state_dir / AUTH_DIR_NAME / str(port)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read (mode 0600 from its creation)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def create_credentials(folder: Path) -> EmbeddedCredentials:
    """New credentials for a server about to start; its previous auth database goes."""
    folder.mkdir(parents=True, exist_ok=True)
    for private in (folder.parent, folder):
        private.chmod(0o700)
    # MLflow sets the admin password only when it creates the user.
    (folder / AUTH_DB_NAME).unlink(missing_ok=True)
    credentials = EmbeddedCredentials(USERNAME, secrets.token_urlsafe(32))
    _write_private(
        folder / CREDENTIALS_NAME,
        json.dumps({"username": credentials.username, "password": credentials.password}),
    )
    _write_private(
        folder / CONFIG_NAME,
        "[mlflow]\n"
        "default_permission = NO_PERMISSIONS\n"
        f"database_uri = sqlite:///{folder / AUTH_DB_NAME}\n"
        f"admin_username = {credentials.username}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        f"auth_cache_ttl_seconds = {AUTH_CACHE_SECONDS}\n",
    )
    return credentials


def load_credentials(folder: Path) -> EmbeddedCredentials | None:
    """The credentials kept in ``folder`` (None: none readable)."""
    try:
        record = json.loads((folder / CREDENTIALS_NAME).read_text())
        return EmbeddedCredentials(str(record["username"]), str(record["password"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def server_environment(folder: Path, credentials: EmbeddedCredentials) -> dict[str, str]:
    """Environment of the ``mlflow server`` process for the basic-auth app."""
    return {
        "MLFLOW_AUTH_CONFIG_PATH": str(folder / CONFIG_NAME),
        "MLFLOW_AUTH_ADMIN_USERNAME": credentials.username,
        "MLFLOW_AUTH_ADMIN_PASSWORD": credentials.password,
        # Signs the auth app's CSRF tokens (its sign-up form, unused here).
        "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_urlsafe(32),
        # MLflow's job runner (GenAI scorers, trace roll-ups; unused by Trackside) is one
        # more MLflow process at start-up, and MLflow gives it a login only for its own
        # "basic-auth" app name.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
