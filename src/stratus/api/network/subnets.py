"""``/v2.0/subnets``: create (also in bulk), list, show, update, delete."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.common.schemas import wrapped
from stratus.api.network import common, schemas, views
from stratus.common.revert import Reverter
from stratus.services.network import subnets
from stratus.services.network.subnets import SubnetInput

router = Router("network")

TUPLES = ("allocation_pools", "dns_nameservers", "host_routes", "tags")
FIELDS = (
    "network_id",
    "name",
    "description",
    "ip_version",
    "cidr",
    "gateway_ip",
    "enable_dhcp",
    "ipv6_ra_mode",
    "ipv6_address_mode",
    "subnetpool_id",
    *TUPLES,
)


def _input(item: Mapping[str, Any]) -> SubnetInput:
    values: dict[str, Any] = {k: v for k, v in item.items() if k in FIELDS}
    for key in TUPLES:
        if key in values:
            values[key] = tuple(values[key])
    return SubnetInput(given=frozenset(values), project_id=common.project_of(item), **values)


@router.route("POST", "/v2.0/subnets", body=schemas.ANY_OBJECT, status=201)
def create_subnet(req: ApiRequest) -> Reply:
    """Create a subnet, or several (``{"subnets": [...]}``, all or nothing)."""
    items = common.bulk_items(req, views.SUBNET, schemas.SUBNET_CREATE)
    db, cfg, caller = common.db(req), common.config(req), common.caller(req)
    created = []
    with Reverter() as revert:
        for item in items:
            made = subnets.create_subnet(db, cfg, caller, _input(item))
            revert.add(functools.partial(subnets.delete_subnet, db, cfg, caller, made.id))
            created.append(views.subnet(made))
        revert.success()
    if "subnets" in req.body:
        return Reply({"subnets": created}, 201)
    return Reply({"subnet": created[0]}, 201)


@router.route("GET", "/v2.0/subnets", policy="context_is_reader")
def list_subnets(req: ApiRequest) -> dict[str, Any]:
    """Subnets of the networks the caller can see."""
    q = common.list_query(req, views.SUBNET)
    found, more = subnets.list_subnets(common.db(req), common.caller(req), q)
    items = [views.subnet(s) for s in found]
    return common.collection(req, views.SUBNET, items, more, [s.id for s in found])


@router.route("GET", "/v2.0/subnets/{subnet_id}", policy="context_is_reader")
def show_subnet(req: ApiRequest) -> dict[str, Any]:
    """One subnet."""
    found = subnets.get_subnet(common.db(req), common.caller(req), req.path["subnet_id"])
    return {"subnet": common.select(views.subnet(found), common.fields(req))}


@router.route("PUT", "/v2.0/subnets/{subnet_id}", body=wrapped("subnet", schemas.SUBNET_UPDATE))
def update_subnet(req: ApiRequest) -> dict[str, Any]:
    """Change a subnet's name, gateway, pools, DNS servers, host routes or DHCP."""
    updated = subnets.update_subnet(
        common.db(req),
        common.config(req),
        common.caller(req),
        req.path["subnet_id"],
        _input(common.body_of(req, "subnet")),
    )
    return {"subnet": views.subnet(updated)}


@router.route("DELETE", "/v2.0/subnets/{subnet_id}", status=204)
def delete_subnet(req: ApiRequest) -> None:
    """Delete a subnet (409 while ports hold its addresses)."""
    subnets.delete_subnet(
        common.db(req), common.config(req), common.caller(req), req.path["subnet_id"]
    )
