"""Networking resources as Neutron shows them (``GET /v2.0/<collection>/<id>`` bodies).

Attributes whose ``get_<resource>:<attribute>`` policy the caller fails (``provider:*`` of
networks, most ``binding:*`` of ports) are left out, as Neutron does.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest
from stratus.api.network.common import Resource, stamp
from stratus.db.models.network import SecurityGroupRule, Subnet
from stratus.services.network.networks import NetworkView
from stratus.services.network.ports import PortView
from stratus.services.network.security_groups import GroupView

NETWORK = Resource(
    "network",
    "networks",
    {
        "id": "str",
        "name": "str",
        "project_id": "str",
        "tenant_id": "str",
        "description": "str",
        "admin_state_up": "bool",
        "status": "str",
        "shared": "bool",
        "router:external": "bool",
        "mtu": "int",
        "port_security_enabled": "bool",
        "provider:network_type": "str",
        "provider:physical_network": "str",
        "provider:segmentation_id": "int",
        "revision_number": "int",
        "subnets": "str",
    },
    frozenset({"tags", "created_at", "updated_at"}),
)
SUBNET = Resource(
    "subnet",
    "subnets",
    {
        "id": "str",
        "name": "str",
        "network_id": "str",
        "project_id": "str",
        "tenant_id": "str",
        "description": "str",
        "ip_version": "int",
        "cidr": "str",
        "gateway_ip": "str",
        "enable_dhcp": "bool",
        "ipv6_ra_mode": "str",
        "ipv6_address_mode": "str",
        "subnetpool_id": "str",
        "revision_number": "int",
    },
    frozenset(
        {"allocation_pools", "dns_nameservers", "host_routes", "tags", "created_at", "updated_at"}
    ),
)
PORT = Resource(
    "port",
    "ports",
    {
        "id": "str",
        "name": "str",
        "network_id": "str",
        "project_id": "str",
        "tenant_id": "str",
        "description": "str",
        "mac_address": "str",
        "admin_state_up": "bool",
        "status": "str",
        "device_id": "str",
        "device_owner": "str",
        "binding:host_id": "str",
        "binding:vif_type": "str",
        "binding:vnic_type": "str",
        "port_security_enabled": "bool",
        "revision_number": "int",
        "fixed_ips": "str",
        "security_groups": "str",
    },
    frozenset(
        {
            "allowed_address_pairs",
            "extra_dhcp_opts",
            "binding:profile",
            "binding:vif_details",
            "tags",
            "created_at",
            "updated_at",
        }
    ),
)
SECURITY_GROUP = Resource(
    "security_group",
    "security_groups",
    {
        "id": "str",
        "name": "str",
        "project_id": "str",
        "tenant_id": "str",
        "description": "str",
        "stateful": "bool",
        "revision_number": "int",
    },
    frozenset({"security_group_rules", "tags", "created_at", "updated_at"}),
)
SECURITY_GROUP_RULE = Resource(
    "security_group_rule",
    "security_group_rules",
    {
        "id": "str",
        "security_group_id": "str",
        "project_id": "str",
        "tenant_id": "str",
        "direction": "str",
        "ethertype": "str",
        "protocol": "str",
        "port_range_min": "int",
        "port_range_max": "int",
        "remote_ip_prefix": "str",
        "remote_group_id": "str",
        "description": "str",
        "revision_number": "int",
    },
    frozenset({"created_at", "updated_at"}),
)


def network(req: ApiRequest, item: NetworkView) -> dict[str, Any]:
    row = item.row
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "admin_state_up": row.admin_state_up,
        "status": row.status,
        "subnets": list(item.subnet_ids),
        "shared": row.shared,
        "router:external": row.external,
        "mtu": row.mtu,
        "port_security_enabled": row.port_security_enabled,
        **stamp(row),
    }
    provider = {
        "provider:network_type": row.provider_network_type,
        "provider:physical_network": row.provider_physical_network,
        "provider:segmentation_id": row.provider_segmentation_id,
    }
    for attr, value in provider.items():
        if req.allowed(f"get_network:{attr}", {"project_id": row.project_id}):
            body[attr] = value
    return body


def subnet(row: Subnet) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "network_id": row.network_id,
        "ip_version": row.ip_version,
        "cidr": row.cidr,
        "gateway_ip": row.gateway_ip,
        "allocation_pools": list(row.allocation_pools),
        "dns_nameservers": list(row.dns_nameservers),
        "host_routes": list(row.host_routes),
        "enable_dhcp": row.enable_dhcp,
        "ipv6_ra_mode": row.ipv6_ra_mode,
        "ipv6_address_mode": row.ipv6_address_mode,
        "subnetpool_id": row.subnetpool_id,
        **stamp(row),
    }


def port(req: ApiRequest, item: PortView) -> dict[str, Any]:
    row = item.row
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "network_id": row.network_id,
        "mac_address": row.mac_address,
        "admin_state_up": row.admin_state_up,
        "status": row.status,
        "device_id": row.device_id,
        "device_owner": row.device_owner,
        "fixed_ips": [{"subnet_id": s, "ip_address": ip} for s, ip in item.fixed_ips],
        "security_groups": list(item.security_group_ids),
        "port_security_enabled": row.port_security_enabled,
        "allowed_address_pairs": [
            {"ip_address": p["ip_address"], "mac_address": p.get("mac_address") or row.mac_address}
            for p in row.allowed_address_pairs
        ],
        "extra_dhcp_opts": [
            {
                "opt_name": o["opt_name"],
                "opt_value": o.get("opt_value"),
                "ip_version": o.get("ip_version", 4),
            }
            for o in row.extra_dhcp_opts
        ],
        "binding:vnic_type": row.binding_vnic_type,
        **stamp(row),
    }
    binding = {
        "binding:host_id": row.binding_host_id,
        "binding:profile": dict(row.binding_profile),
        "binding:vif_type": row.binding_vif_type,
        "binding:vif_details": dict(row.binding_vif_details),
    }
    for attr, value in binding.items():
        if req.allowed(f"get_port:{attr}", {"project_id": row.project_id}):
            body[attr] = value
    return body


def security_group_rule(row: SecurityGroupRule) -> dict[str, Any]:
    body = {
        "id": row.id,
        "security_group_id": row.security_group_id,
        "direction": row.direction,
        "ethertype": row.ethertype,
        "protocol": row.protocol,
        "port_range_min": row.port_range_min,
        "port_range_max": row.port_range_max,
        "remote_ip_prefix": row.remote_ip_prefix,
        "remote_group_id": row.remote_group_id,
        **stamp(row, tags=False),
    }
    return body


def security_group(item: GroupView) -> dict[str, Any]:
    row = item.row
    return {
        "id": row.id,
        "name": row.name,
        "stateful": row.stateful,
        "security_group_rules": [security_group_rule(r) for r in item.rules],
        **stamp(row),
    }
