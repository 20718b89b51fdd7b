"""JSON schemas of networking request bodies (one item; bulk bodies are checked item by item).

Unknown attributes are refused (400), as are read-only ones on update; values the schema cannot
judge (CIDRs, addresses, protocols) are checked by the services with Neutron's messages.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.schemas import BOOLEAN, TAGS, obj

NAME = {"type": "string", "maxLength": 255}
DESCRIPTION = {"type": "string", "maxLength": 255}
PROJECT = {"type": "string", "minLength": 1, "maxLength": 255}
UUID_OR_NULL = {"type": ["string", "null"], "maxLength": 64}
STRING_OR_NULL = {"type": ["string", "null"], "maxLength": 255}
INT_OR_NULL = {"type": ["integer", "null"]}
PORT_VALUE = {"type": ["integer", "string", "null"]}
VNIC_TYPES = [
    "normal",
    "direct",
    "macvtap",
    "baremetal",
    "direct-physical",
    "virtio-forwarder",
    "smart-nic",
    "vdpa",
    "remote-managed",
]

_NETWORK_COMMON: dict[str, Any] = {
    "name": NAME,
    "description": DESCRIPTION,
    "admin_state_up": BOOLEAN,
    "shared": BOOLEAN,
    "router:external": BOOLEAN,
    "mtu": {"type": "integer"},
    "port_security_enabled": BOOLEAN,
}
NETWORK_CREATE = obj(
    {
        **_NETWORK_COMMON,
        "project_id": PROJECT,
        "tenant_id": PROJECT,
        "provider:network_type": STRING_OR_NULL,
        "provider:physical_network": STRING_OR_NULL,
        "provider:segmentation_id": INT_OR_NULL,
        "tags": TAGS,
    }
)
NETWORK_UPDATE = obj(_NETWORK_COMMON)

_POOL = obj({"start": {"type": "string"}, "end": {"type": "string"}}, required=("start", "end"))
_ROUTE = obj(
    {"destination": {"type": "string"}, "nexthop": {"type": "string"}},
    required=("destination", "nexthop"),
)
_SUBNET_COMMON: dict[str, Any] = {
    "name": NAME,
    "description": DESCRIPTION,
    "gateway_ip": {"type": ["string", "null"]},
    "allocation_pools": {"type": "array", "items": _POOL},
    "dns_nameservers": {"type": "array", "items": {"type": "string"}},
    "host_routes": {"type": "array", "items": _ROUTE},
    "enable_dhcp": BOOLEAN,
}
SUBNET_CREATE = obj(
    {
        **_SUBNET_COMMON,
        "network_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "ip_version": {"type": "integer", "enum": [4, 6]},
        "cidr": {"type": ["string", "null"]},
        "ipv6_ra_mode": STRING_OR_NULL,
        "ipv6_address_mode": STRING_OR_NULL,
        "subnetpool_id": UUID_OR_NULL,
        "project_id": PROJECT,
        "tenant_id": PROJECT,
        "tags": TAGS,
    },
    required=("network_id",),
)
SUBNET_UPDATE = obj(_SUBNET_COMMON)

_FIXED_IP = obj({"subnet_id": {"type": "string"}, "ip_address": {"type": "string"}})
_PAIR = obj(
    {"ip_address": {"type": "string"}, "mac_address": {"type": "string"}},
    required=("ip_address",),
)
_DHCP_OPT = obj(
    {
        "opt_name": {"type": "string", "minLength": 1, "maxLength": 64},
        "opt_value": {"type": ["string", "null"], "maxLength": 255},
        "ip_version": {"type": "integer", "enum": [4, 6]},
    },
    required=("opt_name",),
)
_PORT_COMMON: dict[str, Any] = {
    "name": NAME,
    "description": DESCRIPTION,
    "admin_state_up": BOOLEAN,
    "mac_address": {"type": "string"},
    "fixed_ips": {"type": "array", "items": _FIXED_IP},
    "device_id": NAME,
    "device_owner": NAME,
    "security_groups": {"type": ["array", "null"], "items": {"type": "string"}},
    "port_security_enabled": BOOLEAN,
    "allowed_address_pairs": {"type": "array", "items": _PAIR},
    "extra_dhcp_opts": {"type": "array", "items": _DHCP_OPT},
    "binding:host_id": NAME,
    "binding:vnic_type": {"type": "string", "enum": VNIC_TYPES},
    "binding:profile": {"type": ["object", "null"]},
}
PORT_CREATE = obj(
    {
        **_PORT_COMMON,
        "network_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "project_id": PROJECT,
        "tenant_id": PROJECT,
        "tags": TAGS,
    },
    required=("network_id",),
)
PORT_UPDATE = obj(_PORT_COMMON)

SECURITY_GROUP_CREATE = obj(
    {
        "name": NAME,
        "description": DESCRIPTION,
        "stateful": BOOLEAN,
        "project_id": PROJECT,
        "tenant_id": PROJECT,
        "tags": TAGS,
    }
)
SECURITY_GROUP_UPDATE = obj({"name": NAME, "description": DESCRIPTION, "stateful": BOOLEAN})
SECURITY_GROUP_RULE_CREATE = obj(
    {
        "security_group_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "direction": {"type": "string", "enum": ["ingress", "egress"]},
        "ethertype": {"type": ["string", "null"]},
        "protocol": {"type": ["string", "integer", "null"]},
        "port_range_min": PORT_VALUE,
        "port_range_max": PORT_VALUE,
        "remote_ip_prefix": {"type": ["string", "null"]},
        "remote_group_id": {"type": ["string", "null"]},
        "remote_address_group_id": {"type": "null"},
        "description": DESCRIPTION,
        "project_id": PROJECT,
        "tenant_id": PROJECT,
    },
    required=("security_group_id", "direction"),
)

QUOTA_UPDATE = obj(
    {"quota": {"type": "object", "additionalProperties": {"type": "integer"}}},
    required=("quota",),
)
TAGS_REPLACE = obj({"tags": TAGS}, required=("tags",))
ANY_OBJECT: dict[str, Any] = {"type": "object"}
