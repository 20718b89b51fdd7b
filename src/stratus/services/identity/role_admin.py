"""Roles, implied roles (role inference rules) and grants of roles on projects/domains/system.

Role names are unique case-insensitively within their domain (global roles: no domain). Tokens
compute their roles at validation time, so a grant or revocation takes effect as soon as the
validation cache is dropped (``TokenService.forget_all``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.db.models.identity import Role
from stratus.db.repositories.identity import (
    assignments,
    domains,
    groups,
    projects,
    roles,
    users,
)
from stratus.db.repositories.identity.assignments import SYSTEM_ID
from stratus.db.repositories.identity.common import name_key
from stratus.services.identity.domains import extras
from stratus.services.identity.tokens import TokenService

KNOWN = ("id", "name", "domain_id", "description", "options")
# NOTE: as Keystone's [assignment] prohibited_implied_role default: nothing may imply admin.
PROHIBITED_IMPLIED = ("admin",)


def create_role(session: Session, body: Mapping[str, Any]) -> Role:
    domain_id = body.get("domain_id") or ""
    if domain_id:
        domains.get(session, domain_id)
    return roles.create(
        session,
        ids.hex_id(),
        body["name"],
        domain_id,
        body.get("description"),
        dict(body.get("options") or {}),
        extras(body, KNOWN),
    )


def update_role(
    session: Session, tokens: TokenService, role_id: str, patch: Mapping[str, Any]
) -> Role:
    row = roles.get(session, role_id)
    if "domain_id" in patch and (patch["domain_id"] or "") != row.domain_id:
        raise exceptions.Invalid("Update of `domain_id` is not allowed.")
    if "name" in patch and patch["name"] != row.name:
        roles.check_name_free(session, patch["name"], row.domain_id, exclude_id=row.id)
        row.name, row.name_key = patch["name"], name_key(patch["name"])
    if "description" in patch:
        row.description = patch["description"]
    if "options" in patch:
        row.options = {**row.options, **(patch["options"] or {})}
    row.extra = {**row.extra, **extras(patch, KNOWN)}
    session.flush()
    tokens.forget_all()
    return row


def delete_role(session: Session, tokens: TokenService, role_id: str) -> None:
    roles.delete(session, roles.get(session, role_id))
    tokens.forget_all()


# -- implied roles ------------------------------------------------------------------------------
def create_inference(
    session: Session, tokens: TokenService, prior_id: str, implied_id: str
) -> tuple[Role, Role]:
    prior, implied = roles.get(session, prior_id), roles.get(session, implied_id)
    if implied.name_key in PROHIBITED_IMPLIED:
        raise exceptions.Forbidden(f"{implied.name} is not permitted to be an implied role.")
    if prior.id == implied.id or prior.id in roles.expand_implied(session, {implied.id}):
        raise exceptions.Forbidden(
            f"Cannot create an implied role rule {prior.id} -> {implied.id}: it would form a cycle."
        )
    if implied.domain_id and not prior.domain_id:
        raise exceptions.Forbidden("A global role cannot imply a domain-specific role.")
    roles.add_implied(session, prior.id, implied.id)
    tokens.forget_all()
    return prior, implied


def get_inference(session: Session, prior_id: str, implied_id: str) -> tuple[Role, Role]:
    prior, implied = roles.get(session, prior_id), roles.get(session, implied_id)
    if not roles.has_implied(session, prior_id, implied_id):
        raise exceptions.NotFound(f"{prior_id} does not imply {implied_id}.")
    return prior, implied


def delete_inference(
    session: Session, tokens: TokenService, prior_id: str, implied_id: str
) -> None:
    get_inference(session, prior_id, implied_id)
    roles.remove_implied(session, prior_id, implied_id)
    tokens.forget_all()


def implied_by(session: Session, prior_id: str) -> tuple[Role, list[Role]]:
    prior = roles.get(session, prior_id)
    return prior, roles.by_ids(session, set(roles.implied_ids(session, prior_id)))


def all_inferences(session: Session) -> list[tuple[Role, list[Role]]]:
    pairs = roles.all_inferences(session)
    found = {r.id: r for r in roles.by_ids(session, {p for p, _ in pairs} | {i for _, i in pairs})}
    grouped: dict[str, list[Role]] = {}
    for prior_id, implied_id in pairs:
        grouped.setdefault(prior_id, []).append(found[implied_id])
    return [(found[p], sorted(rs, key=lambda r: r.name)) for p, rs in grouped.items()]


# -- grants -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GrantRef:
    """One (actor, target) pair of a grant URL; ``role_id`` for single-grant operations."""

    actor_type: str  # user | group
    actor_id: str
    target_type: str  # project | domain | system
    target_id: str
    inherited: bool = False


def _check_refs(session: Session, ref: GrantRef, actor_must_exist: bool = True) -> None:
    if ref.target_type == "project":
        projects.get(session, ref.target_id)
    elif ref.target_type == "domain":
        domains.get(session, ref.target_id)
    if not actor_must_exist:
        return
    if ref.actor_type == "user":
        users.get(session, ref.actor_id)
    else:
        groups.get(session, ref.actor_id)


def _target_domain(session: Session, ref: GrantRef) -> str | None:
    if ref.target_type == "project":
        return projects.get(session, ref.target_id).domain_id
    if ref.target_type == "domain":
        return ref.target_id
    return None


def _target_id(ref: GrantRef) -> str:
    return SYSTEM_ID if ref.target_type == "system" else ref.target_id


def create_grant(session: Session, tokens: TokenService, ref: GrantRef, role_id: str) -> None:
    _check_refs(session, ref)
    role = roles.get(session, role_id)
    if role.domain_id and role.domain_id != _target_domain(session, ref):
        raise exceptions.Forbidden(
            f"Cannot grant role {role_id}: it belongs to domain {role.domain_id}."
        )
    assignments.grant(
        session,
        ref.actor_type,
        ref.actor_id,
        ref.target_type,
        _target_id(ref),
        role.id,
        ref.inherited,
    )
    tokens.forget_all()


def check_grant(session: Session, ref: GrantRef, role_id: str) -> None:
    _check_refs(session, ref)
    roles.get(session, role_id)
    if not assignments.exists(
        session,
        ref.actor_type,
        ref.actor_id,
        ref.target_type,
        _target_id(ref),
        role_id,
        ref.inherited,
    ):
        raise exceptions.NotFound(
            f"Could not find role assignment with role: {role_id}, "
            f"{ref.actor_type}: {ref.actor_id}, {ref.target_type}: {ref.target_id}."
        )


def revoke_grant(session: Session, tokens: TokenService, ref: GrantRef, role_id: str) -> None:
    _check_refs(session, ref, actor_must_exist=False)
    roles.get(session, role_id)
    if not assignments.revoke(
        session,
        ref.actor_type,
        ref.actor_id,
        ref.target_type,
        _target_id(ref),
        role_id,
        ref.inherited,
    ):
        raise exceptions.NotFound(
            f"Could not find role assignment with role: {role_id}, "
            f"{ref.actor_type}: {ref.actor_id}, {ref.target_type}: {ref.target_id}."
        )
    tokens.forget_all()


def list_grants(session: Session, ref: GrantRef) -> list[Role]:
    _check_refs(session, ref)
    rows = assignments.list_(
        session,
        assignments.AssignmentFilter(
            actor_type=ref.actor_type,
            actor_ids=[ref.actor_id],
            target_type=ref.target_type,
            target_ids=[_target_id(ref)],
            inherited=ref.inherited,
        ),
    )
    return roles.by_ids(session, {a.role_id for a in rows})
