"""Default policy rules of the networking API (admin / member / reader), as Neutron's defaults.

Reads need any role in the project (visibility is decided by the services: own, shared and
external resources); writes need ``member`` in the resource's project. ``<action>:<attribute>``
rules guard attributes: admin-only ones, and those only a network's owner may set on ports
(addresses, MAC, port security, ``allowed_address_pairs`` and a ``network:*`` device owner, so a
member cannot plant router, DHCP or floating-IP ports, or addresses it may send from, on a
shared network).
"""

from __future__ import annotations

ADMIN = "rule:admin_only"
OWNER = "rule:admin_or_project_member"
READER = "rule:admin_or_project_reader"
NET_OWNER = "rule:admin_only or rule:network_owner"
ANY_READER = "rule:admin_only or role:reader"

_ADMIN_ATTRS = (
    "shared",
    "router:external",
    "provider:network_type",
    "provider:physical_network",
    "provider:segmentation_id",
)

RULES: dict[str, str] = {
    "admin_only": "role:admin",
    "admin_or_project_member": "rule:admin_only or (role:member and project_id:%(project_id)s)",
    "admin_or_project_reader": "rule:admin_only or (role:reader and project_id:%(project_id)s)",
    "network_owner": "role:member and project_id:%(network:project_id)s",
    "network_device": "field:port:device_owner=~^network:",
    "context_is_reader": ANY_READER,
    "context_is_member": "rule:admin_only or role:member",
    # networks
    "create_network": OWNER,
    "update_network": OWNER,
    "delete_network": OWNER,
    **{
        f"{action}:{attr}": ADMIN
        for action in ("create_network", "update_network")
        for attr in _ADMIN_ATTRS
    },
    **{f"get_network:{attr}": ADMIN for attr in _ADMIN_ATTRS[2:]},
    # subnets: on networks the caller owns
    "create_subnet": NET_OWNER,
    "update_subnet": NET_OWNER,
    "delete_subnet": NET_OWNER,
    # ports
    "create_port": OWNER,
    "update_port": OWNER,
    "delete_port": f"{OWNER} or rule:network_owner",
    **{
        f"{action}:{attr}": NET_OWNER
        for action in ("create_port", "update_port")
        for attr in (
            "mac_address",
            "fixed_ips:ip_address",
            "port_security_enabled",
            "allowed_address_pairs",
        )
    },
    **{
        f"{action}:device_owner": f"not rule:network_device or {NET_OWNER}"
        for action in ("create_port", "update_port")
    },
    **{
        f"{action}:{attr}": ADMIN
        for action in ("create_port", "update_port")
        for attr in ("binding:host_id", "binding:profile")
    },
    **{
        f"get_port:{attr}": ADMIN
        for attr in (
            "binding:host_id",
            "binding:profile",
            "binding:vif_type",
            "binding:vif_details",
        )
    },
    # security groups and rules
    "create_security_group": OWNER,
    "update_security_group": OWNER,
    "delete_security_group": OWNER,
    "create_security_group_rule": OWNER,
    "delete_security_group_rule": OWNER,
    # quotas
    "get_quota": READER,
    "get_quota:all": ADMIN,
    "update_quota": ADMIN,
    "delete_quota": ADMIN,
}
