"""``/servers/{id}/ips`` and ``/servers/{id}/ips/{network}``: the server's fixed addresses."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import server_views as views
from stratus.api.compute.server_common import authorized
from stratus.common import exceptions
from stratus.services.compute import server_data as data

router = Router("compute")


@router.route("GET", "/v2.1/servers/{server_id}/ips")
def list_ips(req: ApiRequest) -> dict[str, Any]:
    """List the addresses of a server, by network."""
    server_id = req.path["server_id"]
    api = authorized(req, "os_compute_api:ips:index", server_id)
    return {"addresses": views.addresses(data.addresses(api, server_id), extended=False)}


@router.route("GET", "/v2.1/servers/{server_id}/ips/{network}")
def show_ips(req: ApiRequest) -> dict[str, Any]:
    """List the addresses of a server on one network."""
    server_id, network = req.path["server_id"], req.path["network"]
    api = authorized(req, "os_compute_api:ips:show", server_id)
    shown = views.addresses(data.addresses(api, server_id), extended=False)
    if network not in shown:
        raise exceptions.NotFound("Instance is not a member of specified network")
    return {network: shown[network]}
