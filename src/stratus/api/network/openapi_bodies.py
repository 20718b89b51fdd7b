"""What the networking OpenAPI document adds to the routers' own schemas: the request bodies of
the create operations, which validate their body themselves (one item, ``{"network": {...}}``,
or a bulk create, ``{"networks": [{...}, ...]}``, as Neutron), and the response bodies of the
resources' create, show, list and update operations (every attribute the views show)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.api.common.schemas import wrapped
from stratus.api.network import schemas, views
from stratus.api.network.common import Kind, Resource

_RESOURCES = {
    "network": views.NETWORK,
    "subnet": views.SUBNET,
    "port": views.PORT,
    "security_group": views.SECURITY_GROUP,
    "security_group_rule": views.SECURITY_GROUP_RULE,
}
_STRINGS = frozenset(
    {"id", "name", "project_id", "tenant_id", "description", "created_at", "updated_at"}
)
# NOTE: Neutron shows provider and port binding attributes to admins only
_ADMIN_ONLY = ("provider:", "binding:")
_KINDS: dict[Kind, dict[str, Any]] = {
    "bool": {"type": "boolean"},
    "int": {"type": ["integer", "null"]},
}


def _single_or_bulk(resource: Resource, item: Mapping[str, Any]) -> dict[str, Any]:
    one = wrapped(resource.singular, item)
    bulk = {
        "type": "object",
        "required": [resource.collection],
        "properties": {resource.collection: {"type": "array", "minItems": 1, "items": dict(item)}},
        "additionalProperties": False,
    }
    return {"oneOf": [dict(one), bulk]}


def bodies() -> Mapping[str, Mapping[str, Any]]:
    """Operation id -> the request body schema."""
    return {
        "create_network": _single_or_bulk(views.NETWORK, schemas.NETWORK_CREATE),
        "create_subnet": _single_or_bulk(views.SUBNET, schemas.SUBNET_CREATE),
        "create_port": _single_or_bulk(views.PORT, schemas.PORT_CREATE),
        "create_security_group_rule": _single_or_bulk(
            views.SECURITY_GROUP_RULE, schemas.SECURITY_GROUP_RULE_CREATE
        ),
    }


def _attribute(name: str, kind: Kind | None) -> dict[str, Any]:
    if name in _STRINGS:
        return {"type": "string"}
    if name == "tags":
        return {"type": "array", "items": {"type": "string"}}
    return dict(_KINDS.get(kind, {})) if kind else {}


def _shown(resource: Resource) -> dict[str, Any]:
    names = sorted(set(resource.filters) | resource.shown)
    return {
        "type": "object",
        "required": [n for n in names if not n.startswith(_ADMIN_ONLY)],
        "properties": {n: _attribute(n, resource.filters.get(n)) for n in names},
    }


def results() -> Mapping[str, Mapping[str, Any]]:
    """Operation id -> the success response body schema."""
    found: dict[str, Mapping[str, Any]] = {}
    for singular, resource in _RESOURCES.items():
        item = _shown(resource)
        one = wrapped(singular, item)
        many = wrapped(resource.collection, {"type": "array", "items": item})
        found[f"show_{singular}"] = one
        found[f"update_{singular}"] = one
        found[f"list_{resource.collection}"] = many
        found[f"create_{singular}"] = {"oneOf": [one, many]}
    return found
