"""Route handlers for /trackside/api. Thin: the logic lives in backend.py and gateway.py."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .base_handler import TracksideHandler
from .gateway import GatewayError, forward, parse_json_body
from .history import ARROW_STREAM_MIMETYPE, history_arrow, parse_request

API_ROOT = "trackside/api"


class StatusHandler(TracksideHandler):
    auth_resource = "trackside:status"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        status = await self.backend.status()
        self.write_json(200, status.to_json())


class MlflowGatewayHandler(TracksideHandler):
    auth_resource = "trackside:mlflow"

    async def _forward(self, operation: str) -> None:
        try:
            body = parse_json_body(self.request.body) if self.request.method == "POST" else None
            query = {
                key: [v.decode("utf-8") for v in values]
                for key, values in self.request.query_arguments.items()
            }
            response = await forward(
                self.backend.upstream, operation, self.request.method or "GET", query, body
            )
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        except UnicodeDecodeError:
            self.write_json(
                400, {"error_code": "MALFORMED_REQUEST", "message": "The query is not valid UTF-8."}
            )
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

    post = get


def route_table() -> list[tuple[str, type[APIHandler]]]:
    """The one route table of the extension (patterns are relative to base_url)."""
    return [
        (url_path_join("/", API_ROOT, "status"), StatusHandler),
        (url_path_join("/", API_ROOT, "mlflow", "(.+)"), MlflowGatewayHandler),
        (url_path_join("/", API_ROOT, "metrics", "history"), MetricHistoryHandler),
        (url_path_join("/", API_ROOT, ".*"), NotFoundHandler),
    ]
