"""Trackside: live MLflow experiment tracking inside JupyterLab.

Entry points only. Imports stay lazy so that the kernel side never pulls in
jupyter_server and the server side never pulls in IPython.
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0+unknown"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-trackside"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext trackside``: magics, auto-capture and durable logging in this kernel."""
    from .kernel.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext trackside``: flush what can be flushed and restore plain MLflow."""
    from .kernel.extension import unload

    unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import Trackside

    return [{"module": "trackside", "app": Trackside}]
