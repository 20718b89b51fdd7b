"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules``."""

from __future__ import annotations

import functools
from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.common.schemas import wrapped
from stratus.api.network import common, schemas, views
from stratus.common.revert import Reverter
from stratus.services.network import security_groups
from stratus.services.network.security_groups import RuleInput

router = Router("network")


@router.route(
    "POST",
    "/v2.0/security-groups",
    body=wrapped("security_group", schemas.SECURITY_GROUP_CREATE),
    status=201,
)
def create_security_group(req: ApiRequest) -> Reply:
    """Create a group (it starts with egress-anywhere rules)."""
    item = common.body_of(req, "security_group")
    made = security_groups.create_group(
        common.db(req),
        common.config(req),
        common.caller(req),
        name=item.get("name", ""),
        description=item.get("description", ""),
        project_id=common.project_of(item),
        stateful=item.get("stateful", True),
        tags=item.get("tags", ()),
    )
    return Reply({"security_group": views.security_group(made)}, 201)


@router.route("GET", "/v2.0/security-groups", policy="context_is_reader")
def list_security_groups(req: ApiRequest) -> dict[str, Any]:
    """The caller's groups (the ``default`` one is made on first use); admins see all."""
    q = common.list_query(req, views.SECURITY_GROUP)
    found, more = security_groups.list_groups(common.db(req), common.caller(req), q)
    items = [views.security_group(g) for g in found]
    return common.collection(req, views.SECURITY_GROUP, items, more, [g.row.id for g in found])


@router.route("GET", "/v2.0/security-groups/{sg_id}", policy="context_is_reader")
def show_security_group(req: ApiRequest) -> dict[str, Any]:
    """One group with its rules."""
    found = security_groups.get_group(common.db(req), common.caller(req), req.path["sg_id"])
    return {"security_group": common.select(views.security_group(found), common.fields(req))}


@router.route(
    "PUT",
    "/v2.0/security-groups/{sg_id}",
    body=wrapped("security_group", schemas.SECURITY_GROUP_UPDATE),
)
def update_security_group(req: ApiRequest) -> dict[str, Any]:
    """Rename or re-describe a group."""
    item = common.body_of(req, "security_group")
    updated = security_groups.update_group(
        common.db(req),
        common.caller(req),
        req.path["sg_id"],
        name=item.get("name"),
        description=item.get("description"),
        stateful=item.get("stateful"),
    )
    return {"security_group": views.security_group(updated)}


@router.route("DELETE", "/v2.0/security-groups/{sg_id}", status=204)
def delete_security_group(req: ApiRequest) -> None:
    """Delete a group and its rules (409 while ports use it)."""
    security_groups.delete_group(common.db(req), common.caller(req), req.path["sg_id"])


def _rule_input(item: dict[str, Any]) -> RuleInput:
    return RuleInput(
        security_group_id=item["security_group_id"],
        direction=item["direction"],
        ethertype=item.get("ethertype"),
        protocol=item.get("protocol"),
        port_range_min=item.get("port_range_min"),
        port_range_max=item.get("port_range_max"),
        remote_ip_prefix=item.get("remote_ip_prefix"),
        remote_group_id=item.get("remote_group_id"),
        description=item.get("description", ""),
        project_id=common.project_of(item),
    )


@router.route("POST", "/v2.0/security-group-rules", body=schemas.ANY_OBJECT, status=201)
def create_security_group_rule(req: ApiRequest) -> Reply:
    """Add a rule (or several: ``{"security_group_rules": [...]}``) to a group."""
    items = common.bulk_items(req, views.SECURITY_GROUP_RULE, schemas.SECURITY_GROUP_RULE_CREATE)
    db, cfg, caller = common.db(req), common.config(req), common.caller(req)
    created = []
    with Reverter() as revert:
        for item in items:
            made = security_groups.create_rule(db, cfg, caller, _rule_input(item))
            revert.add(functools.partial(security_groups.delete_rule, db, cfg, caller, made.id))
            created.append(views.security_group_rule(made))
        revert.success()
    if "security_group_rules" in req.body:
        return Reply({"security_group_rules": created}, 201)
    return Reply({"security_group_rule": created[0]}, 201)


@router.route("GET", "/v2.0/security-group-rules", policy="context_is_reader")
def list_security_group_rules(req: ApiRequest) -> dict[str, Any]:
    """Rules of the caller's groups."""
    q = common.list_query(req, views.SECURITY_GROUP_RULE)
    found, more = security_groups.list_rules(common.db(req), common.caller(req), q)
    items = [views.security_group_rule(r) for r in found]
    return common.collection(req, views.SECURITY_GROUP_RULE, items, more, [r.id for r in found])


@router.route("GET", "/v2.0/security-group-rules/{rule_id}", policy="context_is_reader")
def show_security_group_rule(req: ApiRequest) -> dict[str, Any]:
    """One rule."""
    found = security_groups.get_rule(common.db(req), common.caller(req), req.path["rule_id"])
    return {
        "security_group_rule": common.select(views.security_group_rule(found), common.fields(req))
    }


@router.route("DELETE", "/v2.0/security-group-rules/{rule_id}", status=204)
def delete_security_group_rule(req: ApiRequest) -> None:
    """Delete a rule."""
    security_groups.delete_rule(
        common.db(req), common.config(req), common.caller(req), req.path["rule_id"]
    )
