"""Where the embedded MLflow server keeps its files by default.

SQLite creates and deletes ``mlflow.db-journal`` beside the database on every write.
Jupyter's file listing stats each name and then reads it; a journal that vanishes in
between fails the whole listing (HTTP 404 "No such file or directory"). So by default
the files live in a hidden folder of the Jupyter root, which the file browser never
lists: ``<root>/.trackside/backend/{mlflow.db,mlartifacts/}``.

Earlier versions kept them in the root itself. A root that still holds that
``mlflow.db`` (and no database in the new folder) keeps using it, so no runs are lost.
"""

from __future__ import annotations

import logging
from pathlib import Path

STATE_DIR_NAME = ".trackside"
BACKEND_DIR_NAME = "backend"
DB_NAME = "mlflow.db"
ARTIFACTS_DIR_NAME = "mlartifacts"


def default_backend_folder(server_root: Path, log: logging.Logger | None) -> Path:
    """The folder of the embedded server's ``mlflow.db`` and ``mlartifacts/``.

    ``log``: where to say that an earlier version's files are used (None: quietly,
    when an external tracking server is configured and the folder goes unused).
    """
    hidden = server_root / STATE_DIR_NAME / BACKEND_DIR_NAME
    legacy_db = server_root / DB_NAME
    if legacy_db.is_file() and not (hidden / DB_NAME).exists():
        if log is not None:
            log.info(
                "Trackside: using the embedded MLflow backend of an earlier version, %s "
                "(new installs keep it in %s, hidden from the file browser)",
                legacy_db,
                hidden,
            )
        return server_root
    return hidden
