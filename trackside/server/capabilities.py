"""What the Jupyter server's authorizer lets the current user change, for the frontend.

The frontend hides write actions the user may not take; the handlers still check each
request with ``@authorized`` (this answer is a hint, never the guard).
"""

from __future__ import annotations

from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import JupyterHandler

REGISTRY_WRITE_RESOURCE = "trackside:registry-write"
SERVING_RESOURCE = "trackside:models-serve"

# capability name in the status answer -> the authorization resource it stands for
CAPABILITIES = {"registry_write": REGISTRY_WRITE_RESOURCE, "serving": SERVING_RESOURCE}


async def capabilities(handler: JupyterHandler) -> dict[str, bool]:
    user = handler.current_user
    allowed: dict[str, bool] = {}
    for name, resource in CAPABILITIES.items():
        verdict = user is not None and await ensure_async(
            handler.authorizer.is_authorized(handler, user, "write", resource)
        )
        allowed[name] = bool(verdict)
    return allowed
