"""What a user may scope tokens to (``/v3/auth/projects``, ``/domains``, ``/system``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.identity import Domain, Project
from stratus.db.repositories.identity import assignments, users
from stratus.db.repositories.identity.assignments import SYSTEM_ID


def list_auth_projects(session: Session, user_id: str) -> list[Project]:
    groups = users.group_ids(session, user_id)
    project_ids = assignments.project_ids_for_user(session, user_id, groups)
    if not project_ids:
        return []
    query = (
        sa.select(Project)
        .join(Domain, Domain.id == Project.domain_id)
        .where(Project.id.in_(project_ids), Project.enabled.is_(True), Domain.enabled.is_(True))
        .order_by(Project.name)
    )
    return list(session.scalars(query))


def list_auth_domains(session: Session, user_id: str) -> list[Domain]:
    groups = users.group_ids(session, user_id)
    domain_ids = assignments.domain_ids_for_user(session, user_id, groups)
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
