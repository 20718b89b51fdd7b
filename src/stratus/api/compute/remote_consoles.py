"""``POST /servers/{id}/remote-consoles`` (2.6+): a noVNC console URL for a running server.

The URL opens the noVNC page of the console proxy on the server's host, with a single-use token
valid for ``[vnc] token_ttl`` seconds (see ``services.compute.consoles``). Before 2.6 the same
comes from the ``os-getVNCConsole`` server action.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion, server_schemas
from stratus.api.compute.server_common import authorized
from stratus.services.compute import consoles

router = Router("compute")


@router.route(
    "POST", "/v2.1/servers/{server_id}/remote-consoles", body=server_schemas.remote_console()
)
def create_remote_console(req: ApiRequest) -> dict[str, Any]:
    """Get a remote console URL for a server."""
    microversion.require(req, (2, 6))
    server_id = req.path["server_id"]
    api = authorized(req, "os_compute_api:os-remote-consoles", server_id)
    console = req.body["remote_console"]
    protocol, console_type = console["protocol"], console["type"]
    url = consoles.remote_console(api, server_id, protocol, console_type)
    return {"remote_console": {"protocol": protocol, "type": console_type, "url": url}}
