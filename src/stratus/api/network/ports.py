"""``/v2.0/ports``: create (also in bulk), list, show, update, delete."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.common.schemas import wrapped
from stratus.api.network import common, schemas, views
from stratus.common.revert import Reverter
from stratus.services.network import ports
from stratus.services.network.ports import FixedIPRequest, PortInput

router = Router("network")

# Neutron attribute -> PortInput field
FIELDS = {
    "network_id": "network_id",
    "name": "name",
    "description": "description",
    "admin_state_up": "admin_state_up",
    "mac_address": "mac_address",
    "device_id": "device_id",
    "device_owner": "device_owner",
    "port_security_enabled": "port_security_enabled",
    "binding:host_id": "host_id",
    "binding:vnic_type": "vnic_type",
}


def _input(item: Mapping[str, Any]) -> PortInput:
    values: dict[str, Any] = {FIELDS[k]: v for k, v in item.items() if k in FIELDS}
    if "fixed_ips" in item:
        values["fixed_ips"] = tuple(
            FixedIPRequest(f.get("subnet_id"), f.get("ip_address")) for f in item["fixed_ips"]
        )
    if "security_groups" in item:
        groups = item["security_groups"]
        values["security_groups"] = tuple(groups) if groups is not None else ()
    for key in ("allowed_address_pairs", "extra_dhcp_opts", "tags"):
        if key in item:
            values[key] = tuple(item[key])
    if "binding:profile" in item:
        values["profile"] = item["binding:profile"] or {}
    return PortInput(
        given=frozenset(item) - {"project_id", "tenant_id"},
        project_id=common.project_of(item),
        **values,
    )


@router.route("POST", "/v2.0/ports", body=schemas.ANY_OBJECT, status=201)
def create_port(req: ApiRequest) -> Reply:
    """Create a port, or several (``{"ports": [...]}``, all or nothing)."""
    items = common.bulk_items(req, views.PORT, schemas.PORT_CREATE)
    db, cfg, caller = common.db(req), common.config(req), common.caller(req)
    created = []
    with Reverter() as revert:
        for item in items:
            made = ports.create_port(db, cfg, caller, _input(item))
            revert.add(functools.partial(ports.delete_port, db, caller, made.row.id))
            created.append(views.port(req, made))
        revert.success()
    if "ports" in req.body:
        return Reply({"ports": created}, 201)
    return Reply({"port": created[0]}, 201)


@router.route("GET", "/v2.0/ports", policy="context_is_reader")
def list_ports(req: ApiRequest) -> dict[str, Any]:
    """The caller's ports and those on networks the caller owns (admins: all)."""
    q = common.list_query(req, views.PORT)
    found, more = ports.list_ports(common.db(req), common.caller(req), q)
    items = [views.port(req, p) for p in found]
    return common.collection(req, views.PORT, items, more, [p.row.id for p in found])


@router.route("GET", "/v2.0/ports/{port_id}", policy="context_is_reader")
def show_port(req: ApiRequest) -> dict[str, Any]:
    """One port."""
    found = ports.get_port(common.db(req), common.caller(req), req.path["port_id"])
    return {"port": common.select(views.port(req, found), common.fields(req))}


@router.route("PUT", "/v2.0/ports/{port_id}", body=wrapped("port", schemas.PORT_UPDATE))
def update_port(req: ApiRequest) -> dict[str, Any]:
    """Change a port: name, state, addresses, groups, device, binding."""
    updated = ports.update_port(
        common.db(req),
        common.config(req),
        common.caller(req),
        req.path["port_id"],
        _input(common.body_of(req, "port")),
    )
    return {"port": views.port(req, updated)}


@router.route("DELETE", "/v2.0/ports/{port_id}", status=204)
def delete_port(req: ApiRequest) -> None:
    """Delete a port and free its addresses."""
    ports.delete_port(common.db(req), common.caller(req), req.path["port_id"])
