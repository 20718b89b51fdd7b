"""``/v2.0/networks``: create (also in bulk), list, show, update, delete."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.common.schemas import wrapped
from stratus.api.network import common, schemas, views
from stratus.common.revert import Reverter
from stratus.services.network import networks
from stratus.services.network.networks import NetworkInput

router = Router("network")

# Neutron attribute -> NetworkInput field
FIELDS = {
    "name": "name",
    "description": "description",
    "admin_state_up": "admin_state_up",
    "shared": "shared",
    "router:external": "external",
    "mtu": "mtu",
    "port_security_enabled": "port_security_enabled",
    "provider:network_type": "network_type",
    "provider:physical_network": "physical_network",
    "provider:segmentation_id": "segmentation_id",
    "tags": "tags",
}


def _input(item: Mapping[str, Any]) -> NetworkInput:
    values: dict[str, Any] = {FIELDS[k]: v for k, v in item.items() if k in FIELDS}
    if "tags" in values:
        values["tags"] = tuple(values["tags"])
    return NetworkInput(given=frozenset(values), project_id=common.project_of(item), **values)


@router.route("POST", "/v2.0/networks", body=schemas.ANY_OBJECT, status=201)
def create_network(req: ApiRequest) -> Reply:
    """Create a network, or several (``{"networks": [...]}``, all or nothing)."""
    items = common.bulk_items(req, views.NETWORK, schemas.NETWORK_CREATE)
    db, cfg, caller = common.db(req), common.config(req), common.caller(req)
    created = []
    with Reverter() as revert:
        for item in items:
            made = networks.create_network(db, cfg, caller, _input(item))
            revert.add(functools.partial(networks.delete_network, db, cfg, caller, made.row.id))
            created.append(views.network(req, made))
        revert.success()
    if "networks" in req.body:
        return Reply({"networks": created}, 201)
    return Reply({"network": created[0]}, 201)


@router.route("GET", "/v2.0/networks", policy="context_is_reader")
def list_networks(req: ApiRequest) -> dict[str, Any]:
    """Networks the caller can see: own, shared and external ones (admins: all)."""
    q = common.list_query(req, views.NETWORK)
    found, more = networks.list_networks(common.db(req), common.caller(req), q)
    items = [views.network(req, n) for n in found]
    return common.collection(req, views.NETWORK, items, more, [n.row.id for n in found])


@router.route("GET", "/v2.0/networks/{network_id}", policy="context_is_reader")
def show_network(req: ApiRequest) -> dict[str, Any]:
    """One network."""
    found = networks.get_network(common.db(req), common.caller(req), req.path["network_id"])
    return {"network": common.select(views.network(req, found), common.fields(req))}


@router.route("PUT", "/v2.0/networks/{network_id}", body=wrapped("network", schemas.NETWORK_UPDATE))
def update_network(req: ApiRequest) -> dict[str, Any]:
    """Change a network's name, description, state, MTU, sharing or port security default."""
    item = common.body_of(req, "network")
    updated = networks.update_network(
        common.db(req), common.config(req), common.caller(req), req.path["network_id"], _input(item)
    )
    return {"network": views.network(req, updated)}


@router.route("DELETE", "/v2.0/networks/{network_id}", status=204)
def delete_network(req: ApiRequest) -> None:
    """Delete a network and its subnets (409 while ports use it)."""
    networks.delete_network(
        common.db(req), common.config(req), common.caller(req), req.path["network_id"]
    )
