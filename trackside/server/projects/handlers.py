"""/trackside/api/projects: read an MLproject, run it, follow and stop its executions.

Thin: the logic lives in manager.py and output.py.
"""

from __future__ import annotations

import math

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..base_handler import TracksideHandler
from ..gateway import GatewayError, parse_json_body
from .manager import ProjectRefusal, ProjectsManager

EXECUTION_ID = "([0-9a-f]{16})"


class ProjectsHandler(TracksideHandler):
    auth_resource = "trackside:projects-run"

    @property
    def projects(self) -> ProjectsManager:
        manager: ProjectsManager = self.settings["trackside_projects"]
        return manager

    def query_number(self, name: str, default: float, *, integer: bool) -> float:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            value = -1
        if value < 0 or not math.isfinite(value):
            kind = "a non-negative integer" if integer else "a non-negative number of seconds"
            raise GatewayError(
                400, "INVALID_PARAMETER_VALUE", f"'{name}' must be {kind}, got {raw!r}."
            )
        return value


class SpecHandler(ProjectsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            # Raw: tornado's get_query_argument would drop a NUL and strip spaces.
            values = self.request.query_arguments.get("path") or [b""]
            path = values[-1].decode("utf-8")
            if not path:
                raise GatewayError(
                    400, "INVALID_PARAMETER_VALUE", "'path' (the project's folder) is required."
                )
            answer = self.projects.spec(path)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        except UnicodeDecodeError:
            self.write_json(400, {"error_code": "MALFORMED_REQUEST", "message": "Bad UTF-8."})
            return
        except ProjectRefusal as err:
            self.write_json(err.status, err.payload)
            return
        self.write_json(200, answer)


class ExecutionListHandler(ProjectsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(200, {"executions": [e.to_json() for e in self.projects.list()]})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            execution = await self.projects.submit(parse_json_body(self.request.body))
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        except ProjectRefusal as err:
            self.write_json(err.status, err.payload)
            return
        self.write_json(202, {"execution": execution.to_json()})


class ExecutionHandler(ProjectsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, execution_id: str) -> None:
        try:
            execution = self.projects.get(execution_id)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.write_json(200, {"execution": execution.to_json()})

    @tornado.web.authenticated
    @authorized
    async def delete(self, execution_id: str) -> None:
        try:
            execution = await self.projects.stop_execution(execution_id)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.write_json(200, {"execution": execution.to_json()})


class OutputHandler(ProjectsHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, execution_id: str) -> None:
        try:
            offset = int(self.query_number("offset", 0, integer=True))
            wait = self.query_number("wait", 0.0, integer=False)
            chunk, done = await self.projects.output(execution_id, offset, wait)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.set_header("Cache-Control", "no-store")
        self.write_json(200, chunk.to_json(done))


def projects_routes(api_root: str) -> list[tuple[str, type[APIHandler]]]:
    """The projects endpoints, for handlers.py's one route table."""
    executions = url_path_join("/", api_root, "projects", "executions")
    return [
        (url_path_join("/", api_root, "projects", "spec"), SpecHandler),
        (executions, ExecutionListHandler),
        (url_path_join(executions, EXECUTION_ID), ExecutionHandler),
        (url_path_join(executions, EXECUTION_ID, "output"), OutputHandler),
    ]
