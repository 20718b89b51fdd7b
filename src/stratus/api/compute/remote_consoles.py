"""``POST /servers/{id}/remote-consoles`` (2.6+). Consoles need the console proxy, which comes
with the QEMU driver; until then every request gets Nova's 400 "Unavailable console type"."""

from __future__ import annotations

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion, server_schemas
from stratus.api.compute.server_common import authorized
from stratus.services import compute_actions

router = Router("compute")


@router.route(
    "POST", "/v2.1/servers/{server_id}/remote-consoles", body=server_schemas.remote_console()
)
def create_remote_console(req: ApiRequest) -> None:
    """Get a remote console URL for a server."""
    microversion.require(req, (2, 6))
    server_id = req.path["server_id"]
    api = authorized(req, "os_compute_api:os-remote-consoles", server_id)
    console = req.body["remote_console"]
    compute_actions.remote_console(api, server_id, console["protocol"], console["type"])
