"""/trackside/api/serving: serve a model version locally, list, stop and call served models.

Thin: the logic lives in manager.py and predict.py.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..base_handler import TracksideHandler
from ..gateway import GatewayError, parse_json_body
from .manager import ServingManager
from .predict import check_predict_body

SERVED_ID = "([0-9a-f]{16})"


class ServingHandler(TracksideHandler):
    auth_resource = "trackside:models-serve"

    @property
    def serving(self) -> ServingManager:
        manager: ServingManager = self.settings["trackside_serving"]
        return manager


class ServedListHandler(ServingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        self.write_json(200, {"served": [s.to_json() for s in self.serving.list()]})

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            body = parse_json_body(self.request.body)
            served = await self.serving.serve(body.get("name"), body.get("version"))
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.write_json(202, {"served": served.to_json()})


class ServedHandler(ServingHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, served_id: str) -> None:
        try:
            served = self.serving.get(served_id)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.write_json(200, {"served": served.to_json()})

    @tornado.web.authenticated
    @authorized
    async def delete(self, served_id: str) -> None:
        try:
            served = await self.serving.stop_served(served_id)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.write_json(200, {"served": served.to_json()})


class PredictHandler(ServingHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, served_id: str) -> None:
        try:
            self.serving.get(served_id)  # an unknown id is a 404 whatever the body
            body = check_predict_body(self.request.body)
            answer = await self.serving.predict(served_id, body)
        except GatewayError as err:
            self.write_json(err.status, err.to_json())
            return
        self.set_header("Cache-Control", "no-store")
        self.write_json(200, answer)


def serving_routes(api_root: str) -> list[tuple[str, type[APIHandler]]]:
    """The serving endpoints, for handlers.py's one route table."""
    return [
        (url_path_join("/", api_root, "serving"), ServedListHandler),
        (url_path_join("/", api_root, "serving", SERVED_ID), ServedHandler),
        (url_path_join("/", api_root, "serving", SERVED_ID, "predict"), PredictHandler),
    ]
