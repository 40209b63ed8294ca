"""The base of every /trackside/api handler: JSON answers and MLflow-shaped errors.

Its own module so that handler modules in sub-packages (serving/) can share it while
handlers.py's one route table imports them, without an import cycle.
"""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

from .backend import BackendManager

# Markup characters travel as JSON escapes: the same string to any JSON parser, but no
# "<script>" from a path, query or MLflow error appears in an answer's bytes (C6).
_MARKUP_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_body(payload: dict[str, Any]) -> str:
    """``payload`` as JSON text with ``<``, ``>`` and ``&`` escaped."""
    return json.dumps(payload).translate(_MARKUP_ESCAPES)


class TracksideHandler(APIHandler):
    auth_resource = "trackside"

    @property
    def backend(self) -> BackendManager:
        manager: BackendManager = self.settings["trackside_backend"]
        return manager

    def write_json(self, status: int, payload: dict[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json_body(payload))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # MLflow's error shape for every failure, including tornado's own 403/404/405.
        reason = self._reason or "error"
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], tornado.web.HTTPError) and exc_info[1].log_message:
            reason = (
                exc_info[1].log_message % exc_info[1].args
                if exc_info[1].args
                else exc_info[1].log_message
            )
        code = {403: "PERMISSION_DENIED", 404: "ENDPOINT_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
        self.set_header("Content-Type", "application/json")
        self.finish(
            json_body({"error_code": code.get(status_code, "INTERNAL_ERROR"), "message": reason})
        )
