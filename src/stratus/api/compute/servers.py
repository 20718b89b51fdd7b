"""``/servers``: create, list (basic and detail), show, update, delete.

Handlers only translate: the body (validated per microversion) becomes a ``BootRequest`` or a
column change, the services decide, ``server_views`` renders.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from stratus.api.common import pagination, schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import server_filters, server_schemas
from stratus.api.compute import server_views as views
from stratus.api.compute.server_common import authorized, server_api, version
from stratus.common import exceptions
from stratus.services.compute import create
from stratus.services.compute.create import BootRequest

router = Router("compute")

S = "os_compute_api:servers"
ANY_OBJECT = {"type": "object"}
MAX_LIMIT = 1000
_TRUE = ("1", "t", "true", "on", "y", "yes")


def access_ip(value: str | None) -> str | None:
    """Access addresses are kept in canonical form (Nova stores IP objects)."""
    return str(ipaddress.ip_address(value)) if value else value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def _counts(server: dict[str, Any]) -> tuple[int, int]:
    min_count = int(server.get("min_count") or 1)
    max_count = int(server.get("max_count") or min_count)
    if min_count < 1 or max_count < 1:
        raise exceptions.Invalid("min_count and max_count must be at least 1")
    if min_count > max_count:
        raise exceptions.Invalid("min_count must be <= max_count")
    return min_count, max_count


def _image_ref(server: dict[str, Any]) -> str:
    """``imageRef``, or the image of a boot-from-image block device mapping."""
    bdms = server.get("block_device_mapping_v2") or []
    if server.get("block_device_mapping") or any(
        b.get("source_type") in ("volume", "snapshot") or b.get("destination_type") == "volume"
        for b in bdms
    ):
        raise exceptions.Invalid("Booting from a volume is not supported by Stratus yet.")
    ref = server.get("imageRef") or ""
    if not ref:
        ref = next((b.get("uuid") or "" for b in bdms if b.get("source_type") == "image"), "")
    if not ref:
        raise exceptions.Invalid("Missing imageRef attribute")
    return str(ref)


def _boot_request(req: ApiRequest, body: dict[str, Any]) -> BootRequest:
    server = body["server"]
    min_count, max_count = _counts(server)
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    groups = [g.get("name") or "" for g in server.get("security_groups") or []]
    target = {"project_id": req.ctx.project_id}
    return BootRequest(
        name=server["name"],
        flavor_ref=str(server["flavorRef"]),
        image_ref=_image_ref(server),
        networks=server.get("networks"),
        key_name=server.get("key_name"),
        security_groups=tuple(g for g in groups if g) or ("default",),
        user_data=server.get("user_data"),
        metadata=dict(server.get("metadata") or {}),
        availability_zone=server.get("availability_zone"),
        host=server.get("host"),
        hypervisor_hostname=server.get("hypervisor_hostname"),
        min_count=min_count,
        max_count=max_count,
        access_ip_v4=access_ip(server.get("accessIPv4")),
        access_ip_v6=access_ip(server.get("accessIPv6")),
        description=server.get("description"),
        tags=tuple(server.get("tags") or ()),
        admin_pass=server.get("adminPass"),
        config_drive=_bool(server.get("config_drive") or False),
        auto_disk_config=server.get("OS-DCF:diskConfig") == "AUTO",
        hints=dict(hints),
        may_force_host=req.allowed(f"{S}:create:forced_host", target),
    )


@router.route("POST", "/v2.1/servers", body=ANY_OBJECT, status=202)
def create_server(req: ApiRequest) -> Reply:
    """Create one or more servers."""
    schemas.validate(server_schemas.create(version(req)), req.body)
    req.authorize(f"{S}:create", {"project_id": req.ctx.project_id, "user_id": req.ctx.user_id})
    if req.body["server"].get("host") or req.body["server"].get("hypervisor_hostname"):
        req.authorize(f"{S}:create:requested_destination", {"project_id": req.ctx.project_id})
    boot = _boot_request(req, req.body)
    created = create.create(server_api(req), boot)
    if _bool(req.body["server"].get("return_reservation_id", False)):
        return Reply({"reservation_id": created.reservation_id}, 202)
    opts = views.ViewOptions.of(req)
    first = created.uuids[0]
    body = views.created(
        opts, first, created.auto_disk_config, list(boot.security_groups), created.admin_pass
    )
    location = views.links(opts.base, "servers", first)[0]["href"]
    return Reply({"server": body}, 202, headers={"Location": location})


def _list(req: ApiRequest, detail: bool) -> dict[str, Any]:
    rule = f"{S}:detail" if detail else f"{S}:index"
    req.authorize(rule, {"project_id": req.ctx.project_id})
    query = server_filters.list_query(req, detail)
    limit = pagination.limit(req.query, default=MAX_LIMIT, maximum=MAX_LIMIT)
    if query is None or limit == 0:
        return {"servers": []}
    opts = views.ViewOptions.of(req)
    records = server_api(req).list_servers(
        query, limit, pagination.marker(req.query), detail, host_status=opts.host_status
    )
    if detail:
        servers = [views.show(opts, r) for r in records]
    else:
        servers = [views.basic(opts, r) for r in records]
    result: dict[str, Any] = {"servers": servers}
    last = records[-1].row.uuid if records else None
    path = "servers/detail" if detail else "servers"
    next_links = views.collection_links(req, path, len(records), limit, last)
    if next_links:
        result["servers_links"] = next_links
    return result


@router.route("GET", "/v2.1/servers")
def list_servers(req: ApiRequest) -> dict[str, Any]:
    """List servers (id, name, links)."""
    return _list(req, detail=False)


@router.route("GET", "/v2.1/servers/detail")
def list_servers_detail(req: ApiRequest) -> dict[str, Any]:
    """List servers with details."""
    return _list(req, detail=True)


@router.route("GET", "/v2.1/servers/{server_id}")
def show_server(req: ApiRequest) -> dict[str, Any]:
    """Show a server."""
    server_id = req.path["server_id"]
    api = authorized(req, f"{S}:show", server_id)
    opts = views.ViewOptions.of(req)
    record = api.show(server_id, host_status=opts.host_status, server_groups=True)
    return {"server": views.show(opts, record, server_groups=True)}


_UPDATE_COLUMNS = {
    "name": "display_name",
    "description": "display_description",
    "accessIPv4": "access_ip_v4",
    "accessIPv6": "access_ip_v6",
}


@router.route("PUT", "/v2.1/servers/{server_id}", body=ANY_OBJECT)
def update_server(req: ApiRequest) -> dict[str, Any]:
    """Update a server's name, description or access addresses."""
    schemas.validate(server_schemas.update(version(req)), req.body)
    server_id = req.path["server_id"]
    api = authorized(req, f"{S}:update", server_id)
    body = req.body["server"]
    changes: dict[str, Any] = {
        column: body[field] for field, column in _UPDATE_COLUMNS.items() if field in body
    }
    for column in ("access_ip_v4", "access_ip_v6"):
        if column in changes:
            changes[column] = access_ip(changes[column])
    if "OS-DCF:diskConfig" in body:
        changes["auto_disk_config"] = body["OS-DCF:diskConfig"] == "AUTO"
    api.update(server_id, changes)
    opts = views.ViewOptions.of(req)
    record = api.show(server_id, host_status=opts.host_status, server_groups=True)
    return {"server": views.updated(opts, record)}


@router.route("DELETE", "/v2.1/servers/{server_id}", status=204)
def delete_server(req: ApiRequest) -> None:
    """Delete a server."""
    server_id = req.path["server_id"]
    authorized(req, f"{S}:delete", server_id).delete(server_id)
