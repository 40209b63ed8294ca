"""A Jupyter server whose Trackside talks to a recording peer instead of MLflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .servers import RecordingPeer, recording_peer


def trackside_config(tracking_uri: str, **server_app: Any) -> dict[str, Any]:
    """Jupyter server settings with Trackside on, ``tracking_uri`` upstream, and ``server_app``
    added to ``ServerApp``'s (a test class's own ``jp_server_config`` builds on this)."""
    return {
        "ServerApp": {"jpserver_extensions": {"trackside": True}, **server_app},
        "Trackside": {"tracking_uri": tracking_uri},
    }


class AgainstRecordingPeer:
    """Base of test classes that prove what never leaves the Jupyter server."""

    @pytest.fixture
    def peer(self) -> Iterator[RecordingPeer]:
        with recording_peer() as running:
            yield running

    @pytest.fixture
    def jp_server_config(self, peer: RecordingPeer) -> dict[str, Any]:
        return trackside_config(peer.url)
