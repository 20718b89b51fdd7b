"""What a user may scope tokens to (``/v3/auth/projects``, ``/domains``, ``/system``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.identity import Domain, Project
from stratus.db.repositories.identity import assignments, users
from stratus.db.repositories.identity.assignments import SYSTEM_ID
from stratus.services.identity.projects import projects_of_user


def list_auth_projects(session: Session, user_id: str) -> list[Project]:
    """Enabled projects in enabled domains the user holds a role on (groups, inheritance too)."""
    enabled_domains = set(session.scalars(sa.select(Domain.id).where(Domain.enabled.is_(True))))
    return [
        p
        for p in projects_of_user(session, user_id)
        if p.enabled and p.domain_id in enabled_domains
    ]


def list_auth_domains(session: Session, user_id: str) -> list[Domain]:
    groups = users.group_ids(session, user_id)
    domain_ids = assignments.target_ids_for_user(session, user_id, groups, "domain")
    if not domain_ids:
        return []
    query = (
        sa.select(Domain)
        .where(Domain.id.in_(domain_ids), Domain.enabled.is_(True))
        .order_by(Domain.name)
    )
    return list(session.scalars(query))


def has_system_roles(session: Session, user_id: str) -> bool:
    groups = users.group_ids(session, user_id)
    return bool(assignments.direct_role_ids(session, user_id, groups, "system", SYSTEM_ID))
