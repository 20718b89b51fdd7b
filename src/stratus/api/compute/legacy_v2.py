"""The v2.0 compatibility endpoint: ``/v2/...`` is the v2.1 API without microversions.

Nova lists ``v2.0`` first in its version document and serves it as "v2.1 at its base version"
(no microversion negotiation); Tempest and old clients expect that. This middleware maps
``/v2/<rest>`` onto ``/v2.1/<rest>`` and drops any microversion header, so every request there is
served at 2.1. ``/v2`` itself (the version document) is left to the versions router.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from stratus.api.common.auth import CLIENT_PATH_KEY

_MICROVERSION_HEADERS = (b"openstack-api-version", b"x-openstack-nova-api-version")


class LegacyV2Middleware:
    """Serves ``/v2/...`` with the v2.1 routes at microversion 2.1."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/v2/") and path != "/v2/":
            headers = [(k, v) for k, v in scope["headers"] if k not in _MICROVERSION_HEADERS]
            scope = dict(scope, path="/v2.1/" + path[len("/v2/") :], headers=headers)
            scope[CLIENT_PATH_KEY] = path
            scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)
