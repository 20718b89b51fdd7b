"""Which roles a user holds on a scope: direct, via groups, inherited from the domain, implied."""

from __future__ import annotations

from sqlalchemy.orm import Session

from stratus.db.models.identity import Project, Role
from stratus.db.repositories.identity import assignments, projects, roles, users
from stratus.db.repositories.identity.assignments import SYSTEM_ID


def effective_roles(
    session: Session, user_id: str, scope: str, target_id: str | None
) -> list[Role]:
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
            ancestors = projects.ancestor_ids(session, target_id)
            ids |= assignments.inherited_project_role_ids(session, user_id, groups, ancestors)
    if not ids:
        return []
    # NOTE: domain-specific roles only confer the global roles they imply (as in Keystone).
    found = roles.by_ids(session, roles.expand_implied(session, ids))
    return [r for r in found if not r.domain_id]
