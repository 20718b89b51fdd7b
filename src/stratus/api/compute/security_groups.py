"""Nova's security-group proxy: ``/os-security-groups``, ``/os-security-group-rules`` and
``/servers/{id}/os-security-groups`` (microversions 2.1-2.35; 404 from 2.36 on, as Nova).

Backed by the network services (``services.compute.security_group_proxy``); shapes are Nova's::

    {"security_group": {"id": ..., "name": ..., "description": ..., "tenant_id": ...,
                        "rules": [{"id", "parent_group_id", "ip_protocol", "from_port",
                                   "to_port", "ip_range": {"cidr"}, "group": {...}}]}}
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import microversion, server_common
from stratus.api.compute.state import compute_state
from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.session import Database
from stratus.services.compute import security_group_proxy as proxy
from stratus.services.compute.security_group_proxy import NovaRule, NovaRuleRequest
from stratus.services.network.common import Caller
from stratus.services.network.security_groups import GroupView

router = Router("compute")
ANY_OBJECT: dict[str, Any] = {"type": "object"}
LAST_VERSION = (2, 35)
READ = "os_compute_api:os-security-groups:get"
WRITE = "os_compute_api:os-security-groups:create"


def _context(req: ApiRequest, rule: str) -> tuple[Database, Config, Caller]:
    if microversion.of(req) > LAST_VERSION:
        raise exceptions.NotFound("The resource could not be found.")
    req.authorize(rule, {"project_id": req.ctx.project_id})
    state = compute_state(req)
    return state.db, state.config, proxy.caller(req.ctx.project_id, req.ctx.is_admin)


def _rule(rule: NovaRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "parent_group_id": rule.parent_group_id,
        "ip_protocol": rule.ip_protocol,
        "from_port": rule.from_port,
        "to_port": rule.to_port,
        "ip_range": {"cidr": rule.cidr} if rule.cidr else {},
        "group": {"name": rule.group[0], "tenant_id": rule.group[1]} if rule.group else {},
    }


def _groups(db: Database, groups: list[GroupView]) -> list[dict[str, Any]]:
    rules = proxy.rules_in_nova_format(db, groups)
    return [
        {
            "id": g.row.id,
            "name": g.row.name,
            "description": g.row.description,
            "tenant_id": g.row.project_id,
            "rules": [_rule(r) for r in rules[g.row.id]],
        }
        for g in groups
    ]


def _item(req: ApiRequest, key: str) -> dict[str, Any]:
    body = req.body
    if not body:
        raise exceptions.Invalid("The request body can't be empty")
    item = body.get(key) if isinstance(body, dict) else None
    if not isinstance(item, dict):
        raise exceptions.Invalid(f"Missing parameter {key}")
    return item


@router.route("GET", "/v2.1/os-security-groups")
def list_security_groups(req: ApiRequest) -> dict[str, Any]:
    """The project's groups (``all_tenants`` for admins: every project's)."""
    db, _cfg, who = _context(req, READ)
    all_projects = req.query.get("all_tenants", "0").lower() not in ("0", "false", "")
    return {"security_groups": _groups(db, proxy.list_groups(db, who, all_projects))}


@router.route("POST", "/v2.1/os-security-groups", body=ANY_OBJECT)
def create_security_group(req: ApiRequest) -> dict[str, Any]:
    """Create a group (200, as Nova)."""
    db, cfg, who = _context(req, WRITE)
    item = _item(req, "security_group")
    made = proxy.create_group(db, cfg, who, item.get("name"), item.get("description"))
    return {"security_group": _groups(db, [made])[0]}


@router.route("GET", "/v2.1/os-security-groups/{sg_id}")
def show_security_group(req: ApiRequest) -> dict[str, Any]:
    """One group with its ingress rules."""
    db, _cfg, who = _context(req, READ)
    return {"security_group": _groups(db, [proxy.get_group(db, who, req.path["sg_id"])])[0]}


@router.route("PUT", "/v2.1/os-security-groups/{sg_id}", body=ANY_OBJECT)
def update_security_group(req: ApiRequest) -> dict[str, Any]:
    """Rename and re-describe a group (both required, as Nova)."""
    db, _cfg, who = _context(req, WRITE)
    item = _item(req, "security_group")
    updated = proxy.update_group(
        db, who, req.path["sg_id"], item.get("name"), item.get("description")
    )
    return {"security_group": _groups(db, [updated])[0]}


@router.route("DELETE", "/v2.1/os-security-groups/{sg_id}", status=202)
def delete_security_group(req: ApiRequest) -> Reply:
    """Delete a group (400 while in use or for members' ``default``)."""
    db, _cfg, who = _context(req, WRITE)
    proxy.delete_group(db, who, req.path["sg_id"])
    return Reply(None, 202)


@router.route("POST", "/v2.1/os-security-group-rules", body=ANY_OBJECT)
def create_security_group_rule(req: ApiRequest) -> dict[str, Any]:
    """Add an ingress rule (by CIDR, default 0.0.0.0/0, or from another group)."""
    db, cfg, who = _context(req, WRITE)
    item = _item(req, "security_group_rule")
    request = NovaRuleRequest(
        parent_group_id=item.get("parent_group_id"),
        ip_protocol=item.get("ip_protocol"),
        from_port=item.get("from_port"),
        to_port=item.get("to_port"),
        cidr=item.get("cidr"),
        group_id=item.get("group_id"),
    )
    return {"security_group_rule": _rule(proxy.add_rule(db, cfg, who, request))}


@router.route("DELETE", "/v2.1/os-security-group-rules/{rule_id}", status=202)
def delete_security_group_rule(req: ApiRequest) -> Reply:
    """Delete a rule."""
    db, cfg, who = _context(req, WRITE)
    proxy.delete_rule(db, cfg, who, req.path["rule_id"])
    return Reply(None, 202)


@router.route("GET", "/v2.1/servers/{server_id}/os-security-groups")
def list_server_security_groups(req: ApiRequest) -> dict[str, Any]:
    """The groups on the server's ports."""
    if microversion.of(req) > LAST_VERSION:
        raise exceptions.NotFound("The resource could not be found.")
    server_id = req.path["server_id"]
    server_common.authorized(req, READ, server_id)
    db = compute_state(req).db
    return {"security_groups": _groups(db, proxy.server_groups(db, server_id))}
