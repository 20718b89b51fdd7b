"""``/servers/{id}/os-server-password``: the encrypted password a guest posted to the metadata
service (show) and its removal (clear). Stratus keeps it in the instance's system metadata
(``password``); until the metadata service exists nothing writes it, so it shows as ""."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute.server_common import authorized
from stratus.services.compute import server_data as data

router = Router("compute")

P = "os_compute_api:os-server-password"
PATH = "/v2.1/servers/{server_id}/os-server-password"


@router.route("GET", PATH)
def show_password(req: ApiRequest) -> dict[str, Any]:
    """Show the server's encrypted admin password ("" when none was set)."""
    server_id = req.path["server_id"]
    api = authorized(req, f"{P}:show", server_id)
    return {"password": data.get_password(api, server_id)}


@router.route("DELETE", PATH, status=204)
def clear_password(req: ApiRequest) -> None:
    """Forget the server's encrypted admin password."""
    server_id = req.path["server_id"]
    api = authorized(req, f"{P}:clear", server_id)
    data.clear_password(api, server_id)
