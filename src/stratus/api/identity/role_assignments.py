"""``GET /v3/role_assignments``: raw or effective assignments, optionally with names."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.identity import params, views
from stratus.common import exceptions
from stratus.services.identity.assignment_report import (
    Entry,
    Names,
    Query,
    Source,
    list_assignments,
    names_for,
)

router = Router("identity")


def _query(req: ApiRequest) -> Query:
    system = params.text(req, "scope.system")
    if system is not None and system != "all":
        raise exceptions.Invalid("scope.system must be 'all'.")
    inherited_to = params.text(req, "scope.OS-INHERIT:inherited_to")
    if inherited_to is not None and inherited_to != "projects":
        raise exceptions.Invalid("scope.OS-INHERIT:inherited_to must be 'projects'.")
    return Query(
        user_id=params.text(req, "user.id"),
        group_id=params.text(req, "group.id"),
        role_id=params.text(req, "role.id"),
        project_id=params.text(req, "scope.project.id"),
        domain_id=params.text(req, "scope.domain.id"),
        system=system is not None,
        inherited=inherited_to is not None,
        effective=bool(req.query_bool("effective", False)),
        include_subtree=bool(req.query_bool("include_subtree", False)),
    )


def _source_url(req: ApiRequest, s: Source) -> str:
    actor = f"{s.actor_type}s/{s.actor_id}"
    if s.target_type == "system":
        return views.link(req, f"/v3/system/{actor}/roles/{s.role_id}")
    if s.inherited:
        path = f"/v3/OS-INHERIT/{s.target_type}s/{s.target_id}/{actor}/roles/{s.role_id}"
        return views.link(req, path + "/inherited_to_projects")
    return views.link(req, f"/v3/{s.target_type}s/{s.target_id}/{actor}/roles/{s.role_id}")


def _named(
    ref: dict[str, Any], ident: str, table: dict[str, tuple[str, str]], names: Names
) -> None:
    if ident in table:
        name, domain_id = table[ident]
        ref["name"] = name
        if domain_id:
            ref["domain"] = {"id": domain_id, "name": names.domains.get(domain_id)}


def _scope(e: Entry, names: Names | None) -> dict[str, Any]:
    if e.target_type == "system":
        return {"system": {"all": True}}
    ref: dict[str, Any] = {"id": e.target_id}
    if names is not None:
        if e.target_type == "project":
            _named(ref, e.target_id, names.projects, names)
        elif e.target_id in names.domains:
            ref["name"] = names.domains[e.target_id]
    scope: dict[str, Any] = {e.target_type: ref}
    if e.inherited:
        scope["OS-INHERIT:inherited_to"] = "projects"
    return scope


def render(req: ApiRequest, e: Entry, names: Names | None) -> dict[str, Any]:
    """One entry exactly as Keystone shows it."""
    role: dict[str, Any] = {"id": e.role_id}
    actor: dict[str, Any] = {"id": e.actor_id}
    if names is not None:
        _named(role, e.role_id, names.roles, names)
        _named(actor, e.actor_id, names.users if e.actor_type == "user" else names.groups, names)
    links: dict[str, str] = {"assignment": _source_url(req, e.source)}
    if e.via_group:
        links["membership"] = views.link(req, f"/v3/groups/{e.via_group}/users/{e.actor_id}")
    if e.prior_role_id:
        links["prior_role"] = views.link(req, f"/v3/roles/{e.prior_role_id}/implies/{e.role_id}")
    return {"role": role, e.actor_type: actor, "scope": _scope(e, names), "links": links}


@router.route("GET", "/v3/role_assignments", policy="identity:list_role_assignments")
def list_role_assignments(req: ApiRequest) -> dict[str, Any]:
    """List role assignments (filters: user.id, group.id, role.id, scope.*, effective...)."""
    query = _query(req)
    with_names = bool(req.query_bool("include_names", False))
    with req.state.db.read() as session:
        entries = list_assignments(session, query)
        names = names_for(session, entries) if with_names else None
    items = [render(req, e, names) for e in entries]
    return {
        "role_assignments": items,
        "links": {"self": str(req.raw.url), "previous": None, "next": None},
    }
