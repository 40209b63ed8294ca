"""JupyterLab server configuration for the Galata tests.

Each run starts from an empty root folder, so the embedded MLflow backend starts
fresh (its files live in the root's .trackside/). The folder is one per port, so
that servers on different ports (TRACKSIDE_UI_PORT) do not empty each other's.
"""

import os
import shutil
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

port = int(os.environ.get("TRACKSIDE_UI_PORT", "8888"))
root = Path(
    os.environ.get("TRACKSIDE_UI_ROOT") or Path(__file__).parent / ".jupyter-root" / str(port)
)
shutil.rmtree(root, ignore_errors=True)
root.mkdir(parents=True)
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(root)

# The example notebooks read their data from the shared folder when it is there
# (the canonical download otherwise, which this machine's network cannot reach).
shared_data = Path(
    os.environ.get("TRACKSIDE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
if (shared_data / "winequality-white.csv").is_file():
    os.environ.setdefault("TRACKSIDE_WINE_CSV", str(shared_data / "winequality-white.csv"))
    os.environ.setdefault("SCIKIT_LEARN_DATA", str(shared_data / "scikit_learn_data"))
    os.environ.setdefault("TRACKSIDE_OFFLINE", "1")
os.environ.setdefault("KERAS_BACKEND", "torch")

configure_jupyter_server(c)  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.port = port  # noqa: F821
# Galata's own test fixtures need its XSRF setting; the pytest suite checks XSRF.
# A port of its own, so that an MLflow server a developer runs on 5000 is not adopted.
c.Trackside.port = int(os.environ.get("TRACKSIDE_UI_BACKEND_PORT", "5871"))  # noqa: F821
c.Trackside.adopt_existing = False  # noqa: F821
