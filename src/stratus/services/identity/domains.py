"""Domains: create, update, and delete with everything they own (as Keystone does)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.db.models.identity import Domain
from stratus.db.repositories.identity import (
    assignments,
    credentials,
    domains,
    groups,
    projects,
    roles,
    users,
)
from stratus.db.repositories.identity.common import name_key
from stratus.services.identity.tokens import TokenService

KNOWN = ("name", "description", "enabled", "tags", "options", "explicit_domain_id", "id")


def extras(body: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The attributes of ``body`` Keystone keeps as "extra" properties."""
    return {k: v for k, v in body.items() if k not in known}


def create(session: Session, body: Mapping[str, Any]) -> Domain:
    extra = extras(body, KNOWN)
    extra["tags"] = list(body.get("tags") or [])
    extra["options"] = dict(body.get("options") or {})
    return domains.create(
        session,
        body.get("explicit_domain_id") or ids.hex_id(),
        body["name"],
        body.get("description") or "",
        body.get("enabled", True),
        extra,
    )


def update(
    session: Session, tokens: TokenService, domain_id: str, patch: Mapping[str, Any]
) -> Domain:
    row = domains.get(session, domain_id)
    if "id" in patch and patch["id"] != domain_id:
        raise exceptions.Invalid("Cannot change the ID of a domain.")
    if "name" in patch and patch["name"] != row.name:
        domains.check_name_free(session, patch["name"], exclude_id=row.id)
        row.name, row.name_key = patch["name"], name_key(patch["name"])
    if "description" in patch:
        row.description = patch["description"] or ""
    extra = dict(row.extra)
    extra.update(extras(patch, KNOWN))
    for key in ("tags", "options"):
        if key in patch:
            extra[key] = patch[key] or ([] if key == "tags" else {})
    row.extra = extra
    if "enabled" in patch and patch["enabled"] != row.enabled:
        row.enabled = patch["enabled"]
        if not row.enabled:
            tokens.revoke_for(session, domain_id=row.id)
    session.flush()
    tokens.forget_all()
    return row


def delete(session: Session, tokens: TokenService, domain_id: str) -> None:
    """Delete a disabled domain and its projects, users, groups, roles and grants."""
    row = domains.get(session, domain_id)
    if row.enabled:
        raise exceptions.Forbidden(
            "Cannot delete a domain that is enabled, please disable it first."
        )
    project_ids = projects.ids_in_domain(session, domain_id)
    for project_id in project_ids:
        assignments.delete_for_target(session, "project", project_id)
    credentials.delete_for_projects(session, set(project_ids))
    projects.delete_many(session, project_ids)
    for user_id in users.ids_in_domain(session, domain_id):
        assignments.delete_for_actor(session, "user", user_id)
        credentials.delete_for_user(session, user_id)
        users.delete(session, users.get(session, user_id))
    for group_id in groups.ids_in_domain(session, domain_id):
        assignments.delete_for_actor(session, "group", group_id)
        groups.delete(session, groups.get(session, group_id))
    for role_id in roles.ids_in_domain(session, domain_id):
        roles.delete(session, roles.get(session, role_id))
    assignments.delete_for_target(session, "domain", domain_id)
    tokens.revoke_for(session, domain_id=domain_id)
    domains.delete(session, row)
    tokens.forget_all()
