"""The fixed MLflow tracking server that the gateway talks to.

The browser never names a host: every request goes to the one ``Upstream`` built
from configuration when the server extension loads.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

SUPPORTED_SCHEMES = ("http", "https")


class UnsupportedTrackingUri(ValueError):
    """The configured tracking URI is not an MLflow tracking server we can proxy."""


@dataclass(frozen=True)
class Upstream:
    """Base URL of an MLflow server plus the headers that authenticate to it."""

    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def public_uri(self) -> str:
        """The URI as it may be shown to users: never with credentials."""
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def strip_credentials(uri: str) -> str:
    """Return ``uri`` without any ``user:password@`` part."""
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def upstream_from_uri(uri: str, environ: Mapping[str, str] | None = None) -> Upstream:
    """Build the upstream for an MLflow server URI.

    Credentials come from the URI's user info or from MLflow's own environment
    variables (``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD``); they go into headers and never into
    ``public_uri``.
    """
    env = os.environ if environ is None else environ
    parts = urlsplit(uri)
    if parts.scheme not in SUPPORTED_SCHEMES or not parts.hostname:
        raise UnsupportedTrackingUri(
            f"Trackside needs the URL of an MLflow tracking server (http:// or https://), "
            f"got {strip_credentials(uri)!r}. Start one with `mlflow server "
            f"--backend-store-uri ...` and point Trackside at it, or unset the tracking URI "
            f"to use the embedded server."
        )
    headers: dict[str, str] = {}
    token = env.get("MLFLOW_TRACKING_TOKEN")
    username = parts.username or env.get("MLFLOW_TRACKING_USERNAME")
    password = parts.password or env.get("MLFLOW_TRACKING_PASSWORD")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif username is not None and password is not None:
        pair = f"{username}:{password}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return Upstream(base_url=strip_credentials(uri).rstrip("/"), headers=headers)
