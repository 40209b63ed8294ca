"""A Jupyter server whose Trackside talks to a recording peer instead of MLflow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .servers import RecordingPeer, recording_peer


class AgainstRecordingPeer:
    """Base of test classes that prove what never leaves the Jupyter server."""

    @pytest.fixture
    def peer(self) -> Iterator[RecordingPeer]:
        with recording_peer() as running:
            yield running

    @pytest.fixture
    def jp_server_config(self, peer: RecordingPeer) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"trackside": True}},
            "Trackside": {"tracking_uri": peer.url},
        }
