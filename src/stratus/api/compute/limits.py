"""``GET /limits``: the project's absolute limits and usage (``rate`` is always empty).

Fields per microversion, as Nova: the network-ish limits (``maxTotalFloatingIps``,
``maxSecurityGroups``, ``maxSecurityGroupRules`` and their usage) go at 2.36, ``maxImageMeta``
at 2.39, ``maxPersonality``/``maxPersonalitySize`` at 2.57. An admin may ask for another
project's limits with ``tenant_id``.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.services.compute import quotas as service

router = Router("compute")

# quota resource -> the absolute limit names showing it
_LIMIT_NAMES: dict[str, tuple[str, ...]] = {
    "ram": ("maxTotalRAMSize",),
    "instances": ("maxTotalInstances",),
    "cores": ("maxTotalCores",),
    "key_pairs": ("maxTotalKeypairs",),
    "floating_ips": ("maxTotalFloatingIps",),
    "metadata_items": ("maxServerMeta", "maxImageMeta"),
    "injected_files": ("maxPersonality",),
    "injected_file_content_bytes": ("maxPersonalitySize",),
    "security_groups": ("maxSecurityGroups",),
    "security_group_rules": ("maxSecurityGroupRules",),
    "server_groups": ("maxServerGroups",),
    "server_group_members": ("maxServerGroupMembers",),
}
_USED_NAMES: dict[str, str] = {
    "totalRAMUsed": "ram",
    "totalCoresUsed": "cores",
    "totalInstancesUsed": "instances",
    "totalFloatingIpsUsed": "floating_ips",
    "totalSecurityGroupsUsed": "security_groups",
    "totalServerGroupsUsed": "server_groups",
}
_GONE_236 = {
    "maxTotalFloatingIps",
    "maxSecurityGroups",
    "maxSecurityGroupRules",
    "totalFloatingIpsUsed",
    "totalSecurityGroupsUsed",
}


def _hidden(req: ApiRequest) -> set[str]:
    version = microversion.of(req)
    hidden: set[str] = set()
    if version >= (2, 36):
        hidden |= _GONE_236
    if version >= (2, 39):
        hidden.add("maxImageMeta")
    if version >= (2, 57):
        hidden |= {"maxPersonality", "maxPersonalitySize"}
    return hidden


@router.route("GET", "/v2.1/limits")
def show_limits(req: ApiRequest) -> Any:
    """Absolute limits and usage of the caller's project (``tenant_id``: another's, admin)."""
    req.authorize("os_compute_api:limits", {"project_id": req.ctx.project_id})
    project_id = req.ctx.project_id or ""
    wanted = req.query.get("tenant_id")
    if wanted and wanted != project_id:
        req.authorize("os_compute_api:limits:other_project", {"project_id": wanted})
        project_id = wanted
    with pt.reading(req) as session:
        limits = service.project_limits(session, req.state.config, project_id)
        used = service.in_use(session, project_id)
    hidden = _hidden(req)
    absolute: dict[str, int] = {}
    for resource, names in _LIMIT_NAMES.items():
        for name in names:
            if name not in hidden:
                absolute[name] = limits[resource]
    for name, resource in _USED_NAMES.items():
        if name not in hidden:
            absolute[name] = used[resource]
    return {"limits": {"rate": [], "absolute": absolute}}
