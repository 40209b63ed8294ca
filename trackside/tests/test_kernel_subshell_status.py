"""A running cell stays "busy" in Jupyter Server while JupyterLab manages comm subshells.

JupyterLab 4.6 answers a comm opened by the kernel (Trackside's metric comm, for one)
with ``create_subshell_request`` on the control channel, and later lists and deletes
subshells. The kernel publishes a busy/idle status pair for each, in parallel with the
running cell. With the Trackside server extension loaded these requests are untracked,
so the kernel's ``execution_state`` (``GET /api/kernels/<id>``, the idle culler) stays
busy until the cell ends.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from trackside.server.kernel_activity import SUBSHELL_MESSAGE_TYPES

from .test_stream_iopub import decode_frame

CELL_SECONDS = 20.0
# The server records statuses from its own IOPub subscription, which can lag the
# websocket's copy a little: read the state a few times after each idle status.
STATE_READS, STATE_READ_INTERVAL = 5, 0.1


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}},
        # An external URI that is never called: no embedded MLflow server is started.
        "Trackside": {"tracking_uri": "http://127.0.0.1:9"},
    }


def frame(msg_type: str, content: dict[str, Any], channel: str) -> tuple[str, str]:
    msg_id = uuid.uuid4().hex
    msg = {
        "header": {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "test",
            "session": uuid.uuid4().hex,
            "date": "",
            "version": "5.4",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": channel,
        "buffers": [],
    }
    return msg_id, json.dumps(msg)


async def read_until(ws: Any, done: Callable[[dict[str, Any]], bool], timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(ws.read_message(), deadline - time.monotonic())
        assert raw is not None, "websocket closed"
        msg = decode_frame(raw)
        if done(msg):
            return msg
    raise TimeoutError


def child_of(msg_id: str, msg_type: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m["msg_type"] == msg_type and m["parent_header"].get("msg_id") == msg_id


async def request(ws: Any, msg_type: str, content: dict[str, Any], channel: str) -> dict:
    """Send a request; return its reply once the kernel's idle status for it was seen too."""
    msg_id, data = frame(msg_type, content, channel)
    await ws.write_message(data)
    reply_type = msg_type.replace("_request", "_reply")
    reply: dict[str, Any] = {}
    idle = False

    def finished(msg: dict[str, Any]) -> bool:
        nonlocal idle
        if msg["parent_header"].get("msg_id") != msg_id:
            return False
        if msg["msg_type"] == reply_type:
            reply.update(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            idle = True
        return idle and bool(reply)

    await read_until(ws, finished)
    return reply


async def execution_state(jp_fetch, kernel_id: str) -> str:
    response = await jp_fetch("api", "kernels", kernel_id)
    return json.loads(response.body)["execution_state"]


async def test_subshell_requests_do_not_make_a_running_cell_idle(jp_fetch, jp_ws_fetch):
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kernel_id = json.loads(response.body)["id"]
    ws = await jp_ws_fetch("api", "kernels", kernel_id, "channels")
    try:
        info = await request(ws, "kernel_info_request", {}, "shell")
        assert "kernel subshells" in info["content"].get("supported_features", [])

        code = (
            "import comm, time\n"
            "channel = comm.create_comm(target_name='trackside.metrics')\n"
            f"time.sleep({CELL_SECONDS})\n"
        )
        cell_id, data = frame(
            "execute_request",
            {"code": code, "silent": False, "store_history": False, "allow_stdin": False},
            "shell",
        )
        await ws.write_message(data)
        await read_until(ws, child_of(cell_id, "comm_open"))
        assert await execution_state(jp_fetch, kernel_id) == "busy"

        # What JupyterLab 4.6 sends on the control channel for the comm.
        created = await request(ws, "create_subshell_request", {}, "control")
        subshell_id = created["content"]["subshell_id"]
        await request(ws, "list_subshell_request", {}, "control")
        await request(ws, "delete_subshell_request", {"subshell_id": subshell_id}, "control")
        states = []
        for _ in range(STATE_READS):
            await asyncio.sleep(STATE_READ_INTERVAL)
            states.append(await execution_state(jp_fetch, kernel_id))
        assert states == ["busy"] * STATE_READS

        await read_until(ws, child_of(cell_id, "execute_reply"), timeout=CELL_SECONDS + 60)
        deadline = time.monotonic() + 10
        while await execution_state(jp_fetch, kernel_id) != "idle":
            assert time.monotonic() < deadline, "the kernel never went idle after the cell"
            await asyncio.sleep(0.1)
    finally:
        ws.close()
        await jp_fetch("api", "kernels", kernel_id, method="DELETE")


async def test_the_extension_keeps_jupyter_s_own_untracked_types(jp_serverapp):
    untracked = jp_serverapp.kernel_manager.untracked_message_types
    assert set(SUBSHELL_MESSAGE_TYPES) <= set(untracked)
    assert {"comm_info_request", "kernel_info_request", "status"} <= set(untracked)
    assert len(untracked) == len(set(untracked))
