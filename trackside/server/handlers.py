"""Route handlers for /trackside/api. Thin: the logic lives in backend.py, gateway.py,
registry_writes.py, artifact_files.py and artifact_tables.py."""

from __future__ import annotations

from collections.abc import Mapping

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.iostream import StreamClosedError

from .artifact_files import (
    DEFAULT_MAX_PREVIEW_BYTES,
    SECURITY_HEADERS,
    FileRefusal,
    file_request,
    list_files,
    send_file,
)
from .artifact_tables import read_table
from .base_handler import TracksideHandler
from .capabilities import REGISTRY_WRITE_RESOURCE, capabilities
from .gateway import GatewayError, forward, parse_json_body
from .history import ARROW_STREAM_MIMETYPE, history_arrow, parse_request
from .mlflow_validators import load as load_mlflow_validators
from .projects.handlers import projects_routes
from .registry_writes import forward_write
from .serving.handlers import serving_routes

API_ROOT = "trackside/api"
BAD_UTF8 = {"error_code": "MALFORMED_REQUEST", "message": "The query is not valid UTF-8."}


def query_arguments(handler: tornado.web.RequestHandler) -> dict[str, list[str]]:
    """The request's query, decoded (raises UnicodeDecodeError)."""
    return {
        key: [value.decode("utf-8") for value in values]
        for key, values in handler.request.query_arguments.items()
    }


class StatusHandler(TracksideHandler):
    auth_resource = "trackside:status"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        status = await self.backend.status()
        self.write_json(200, {**status.to_json(), "capabilities": await capabilities(self)})


class MlflowGatewayHandler(TracksideHandler):
    auth_resource = "trackside:mlflow"

    async def _forward(self, operation: str) -> None:
        try:
            body = parse_json_body(self.request.body) if self.request.method == "POST" else None
            query = query_arguments(self)
            response = await forward(
                self.backend.upstream, operation, self.request.method or "GET", query, body
            )
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        except UnicodeDecodeError:
            self.write_json(400, BAD_UTF8)
            return
        self.write_json(response.status, response.body)

    @tornado.web.authenticated
    @authorized
    async def get(self, operation: str) -> None:
        await self._forward(operation)

    @tornado.web.authenticated
    @authorized
    async def post(self, operation: str) -> None:
        await self._forward(operation)


class RegistryWriteHandler(TracksideHandler):
    """Model Registry writes: each operation its own method and validation (registry_writes)."""

    auth_resource = REGISTRY_WRITE_RESOURCE

    async def _write(self, operation: str) -> None:
        try:
            body = parse_json_body(self.request.body)
            response = await forward_write(
                self.backend.upstream, operation, self.request.method or "POST", body
            )
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.write_json(response.status, response.body)

    @tornado.web.authenticated
    @authorized
    async def post(self, operation: str) -> None:
        await self._write(operation)

    @tornado.web.authenticated
    @authorized
    async def patch(self, operation: str) -> None:
        await self._write(operation)

    @tornado.web.authenticated
    @authorized
    async def delete(self, operation: str) -> None:
        await self._write(operation)


class ArtifactHandler(TracksideHandler):
    """Artifact files of runs and LoggedModels: listings, bytes (artifact_files), tables."""

    auth_resource = "trackside:mlflow"

    @property
    def content_security_policy(self) -> str:
        return SECURITY_HEADERS["Content-Security-Policy"]

    def set_default_headers(self) -> None:
        super().set_default_headers()
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def compute_etag(self) -> None:
        return None

    @property
    def max_preview_bytes(self) -> int:
        limit: int = self.settings.get("trackside_max_preview_bytes", DEFAULT_MAX_PREVIEW_BYTES)
        return limit

    @tornado.web.authenticated
    @authorized
    async def get(self, kind: str) -> None:
        upstream = self.backend.upstream
        try:
            query: Mapping[str, list[str]] = query_arguments(self)
            if kind == "file":
                await load_mlflow_validators()
                request = file_request(
                    query, self.request.headers.get("Range"), self.max_preview_bytes
                )
                try:
                    await send_file(upstream, request, self)
                except StreamClosedError:
                    return  # the browser went away, e.g. a cancelled download
                self.finish()
            elif kind == "table":
                self.write_json(200, await read_table(upstream, query, self.max_preview_bytes))
            else:
                answer = await list_files(upstream, query)
                self.write_json(answer.status, answer.body)
        except FileRefusal as err:
            for name, value in err.headers.items():
                self.set_header(name, value)
            self.write_json(err.status, err.to_json())
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
        except UnicodeDecodeError:
            self.write_json(400, BAD_UTF8)


class MetricHistoryHandler(TracksideHandler):
    auth_resource = "trackside:mlflow"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            request = parse_request(self.request.query_arguments)
            body = await history_arrow(self.backend.upstream, request, self.backend.history_store)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        except UnicodeDecodeError:
            self.write_json(400, {"error_code": "MALFORMED_REQUEST", "message": "Bad UTF-8."})
            return
        self.set_header("Cache-Control", "no-store")
        self.finish(body, set_content_type=ARROW_STREAM_MIMETYPE)


class NotFoundHandler(TracksideHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        raise tornado.web.HTTPError(404, "No such Trackside endpoint.")

    post = patch = delete = get


def route_table() -> list[tuple[str, type[APIHandler]]]:
    """The one route table of the extension (patterns are relative to base_url)."""
    return [
        (url_path_join("/", API_ROOT, "status"), StatusHandler),
        (url_path_join("/", API_ROOT, "mlflow", "(.+)"), MlflowGatewayHandler),
        (url_path_join("/", API_ROOT, "registry", "(.+)"), RegistryWriteHandler),
        (
            url_path_join("/", API_ROOT, "artifacts", "(file|table|list|model-list)"),
            ArtifactHandler,
        ),
        (url_path_join("/", API_ROOT, "metrics", "history"), MetricHistoryHandler),
        *serving_routes(API_ROOT),
        *projects_routes(API_ROOT),
        (url_path_join("/", API_ROOT, ".*"), NotFoundHandler),
    ]
