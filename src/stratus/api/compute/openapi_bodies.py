"""What the compute OpenAPI document adds to the routers' own schemas: the request bodies of
operations that validate their body themselves (by microversion or, for server actions, by
action name), and the response bodies of the server and flavor show and list operations.

The document describes the newest microversion this code implements (``DOCUMENTED``, 2.79):
clients that send an older version get the older shapes, which the handlers still accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.api.compute import flavors, keypairs, server_groups, server_schemas, services
from stratus.api.compute.server_action_registry import ActionRegistry

DOCUMENTED = (2, 79)
_VERSION = f"{DOCUMENTED[0]}.{DOCUMENTED[1]}"
DESCRIPTION = (
    f"Request bodies are those of microversion {_VERSION} (send `OpenStack-API-Version: "
    f"compute {_VERSION}`); older microversions accept older shapes."
)


def _actions(registry: ActionRegistry) -> dict[str, Any]:
    schemas = [
        dict(registry[name].schema(DOCUMENTED))
        for name in sorted(registry)
        if registry[name].available(DOCUMENTED)
    ]
    return {"oneOf": schemas}


def bodies(actions: ActionRegistry) -> Mapping[str, Mapping[str, Any]]:
    """Operation id -> the request body schema at ``DOCUMENTED``."""
    return {
        "create_server": server_schemas.create(DOCUMENTED),
        "update_server": server_schemas.update(DOCUMENTED),
        "server_action": _actions(actions),
        "create_flavor": flavors.CREATE_V255,
        "update_flavor": flavors.UPDATE_V255,
        "create_keypair": keypairs.CREATE_V210,
        "create_server_group": server_groups.CREATE_V264,
        "update_service": services.UPDATE_V253,
    }


_STR = {"type": "string"}
_LINKS = {
    "type": "array",
    "items": {"type": "object", "required": ["rel", "href"], "properties": {"rel": _STR}},
}


def _item(required: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": required}


# NOTE: the attributes Nova's API reference lists for every server at 2.79 (others, such as
# fault, security_groups or the admin-only OS-EXT-SRV-ATTR:*, depend on state or policy).
_SERVER = _item(
    {
        "id": _STR,
        "name": _STR,
        "status": _STR,
        "tenant_id": _STR,
        "user_id": _STR,
        "metadata": {"type": "object", "additionalProperties": _STR},
        "hostId": _STR,
        "image": {"type": ["string", "object"]},  # NOTE: "" when booted from a volume
        "flavor": {"type": "object"},
        "created": _STR,
        "updated": _STR,
        "addresses": {"type": "object"},
        "accessIPv4": _STR,
        "accessIPv6": _STR,
        "links": _LINKS,
        "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
    }
)
_SERVER_BRIEF = _item({"id": _STR, "name": _STR, "links": _LINKS})
_FLAVOR_BRIEF = _item({"id": _STR, "name": _STR, "links": _LINKS, "description": {}})
_FLAVOR = _item(
    {
        "id": _STR,
        "name": _STR,
        "ram": {"type": "integer"},
        "vcpus": {"type": "integer"},
        "disk": {"type": "integer"},
        "links": _LINKS,
        "description": {"type": ["string", "null"]},
    }
)


def _one(key: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": [key], "properties": {key: dict(item)}}


def _many(key: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return _one(key, {"type": "array", "items": dict(item)})


def results() -> Mapping[str, Mapping[str, Any]]:
    """Operation id -> the success response body schema at ``DOCUMENTED``."""
    return {
        "show_server": _one("server", _SERVER),
        "list_servers_detail": _many("servers", _SERVER),
        "list_servers": _many("servers", _SERVER_BRIEF),
        "show_flavor": _one("flavor", _FLAVOR),
        "list_flavors_detail": _many("flavors", _FLAVOR),
        "list_flavors": _many("flavors", _FLAVOR_BRIEF),
    }
