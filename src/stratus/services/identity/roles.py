"""Which roles a user holds on a scope: direct, through groups, inherited from the domain, implied."""

from __future__ import annotations

from sqlalchemy.orm import Session

from stratus.db.models.identity import Project, Role
from stratus.db.repositories.identity import assignments, roles, users
from stratus.db.repositories.identity.assignments import SYSTEM_ID


def effective_roles(session: Session, user_id: str, scope: str, target_id: str | None) -> list[Role]:
    """Roles of ``user_id`` on ``scope`` ('project' | 'domain' | 'system'); empty when unscoped."""
    if scope == "unscoped" or target_id is None:
        return []
    groups = users.group_ids(session, user_id)
    if scope == "system":
        ids = assignments.direct_role_ids(session, user_id, groups, "system", SYSTEM_ID)
    elif scope == "domain":
        ids = assignments.direct_role_ids(session, user_id, groups, "domain", target_id)
    else:
        ids = assignments.direct_role_ids(session, user_id, groups, "project", target_id)
        project = session.get(Project, target_id)
        if project is not None:
            ids |= assignments.inherited_role_ids(session, user_id, groups, project.domain_id)
    if not ids:
        return []
    return roles.by_ids(session, roles.expand_implied(session, ids))
