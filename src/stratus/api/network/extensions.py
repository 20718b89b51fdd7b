"""``/v2.0/extensions``: the Neutron extensions this API really implements, by alias.

Listed only when true: clients and tempest switch features on by these aliases.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.common import exceptions

router = Router("network")

UPDATED = "2026-01-01T00:00:00-00:00"
# alias -> (name, description)
EXTENSIONS: dict[str, tuple[str, str]] = {
    "allowed-address-pairs": ("Allowed Address Pairs", "Provides allowed address pairs"),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external application"),
    "extra_dhcp_opt": ("Neutron Extra DHCP options", "Extra options configuration for DHCP"),
    "external-net": (
        "Neutron external network",
        "Adds external network attribute to network resource.",
    ),
    "filter-validation": (
        "Filter parameters validation",
        "Provides validation on filter parameters.",
    ),
    "ip-substring-filtering": (
        "IP address substring filtering",
        "Provides IP address substring filtering when listing ports",
    ),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource."),
    "net-mtu-writable": (
        "Network MTU (writable)",
        "Provides a writable MTU attribute for a network resource.",
    ),
    "pagination": ("Pagination support", "Extension that indicates that pagination is enabled."),
    "port-security": ("Port Security", "Provides port security"),
    "port-security-groups-filtering": (
        "Port filtering on security groups",
        "Provides security groups filtering when listing ports",
    ),
    "project-id": (
        "project_id field enabled",
        "Extension that indicates that project_id field is enabled.",
    ),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical networks"),
    "quotas": ("Quota management support", "Expose functions for quotas management per project"),
    "quota_details": (
        "Quota details management support",
        "Expose functions for quotas usage statistics per project",
    ),
    "security-group": ("security-group", "The security groups extension."),
    "sorting": ("Sorting support", "Extension that indicates that sorting is enabled."),
    "standard-attr-description": (
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
    ),
    "standard-attr-revisions": (
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
    ),
    "standard-attr-tag": (
        "Tag support for resources with standard attribute: subnet, network, port, security_group",
        "Enables to set tag on resources with standard attribute.",
    ),
    "standard-attr-timestamp": (
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron "
        "standard attributes.",
    ),
    "stateful-security-group": (
        "Stateful security group",
        "Indicates if the security group is stateful or not",
    ),
    "tag-creation": (
        "Tag support for resource creation",
        "Enables to specify tags at resource creation",
    ),
}


def _extension(alias: str) -> dict[str, Any]:
    name, description = EXTENSIONS[alias]
    return {
        "alias": alias,
        "name": name,
        "description": description,
        "updated": UPDATED,
        "links": [],
    }


@router.route("GET", "/v2.0/extensions")
def list_extensions(req: ApiRequest) -> dict[str, Any]:
    """Every extension, by alias."""
    return {"extensions": [_extension(a) for a in sorted(EXTENSIONS)]}


@router.route("GET", "/v2.0/extensions/{alias}")
def show_extension(req: ApiRequest) -> dict[str, Any]:
    """One extension (404 if not implemented)."""
    alias = req.path["alias"]
    if alias not in EXTENSIONS:
        raise exceptions.NotFound(f"Extension with alias {alias} does not exist")
    return {"extension": _extension(alias)}
