"""Role assignments of users and groups on projects, domains and the system."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.identity import Assignment

SYSTEM_ID = "system"


@dataclasses.dataclass(frozen=True)
class AssignmentFilter:
    """Which assignments ``list_`` returns; ``None`` means "any"."""

    actor_type: str | None = None
    actor_ids: Collection[str] | None = None
    role_ids: Collection[str] | None = None
    target_type: str | None = None
    target_ids: Collection[str] | None = None
    inherited: bool | None = None


def grant(
    session: Session,
    actor_type: str,
    actor_id: str,
    target_type: str,
    target_id: str,
    role_id: str,
    inherited: bool = False,
) -> bool:
    """Create the assignment; returns False if it already existed (granting is idempotent)."""
    key = (actor_type, actor_id, target_type, target_id, role_id, inherited)
    if session.get(Assignment, key) is not None:
        return False
    session.add(
        Assignment(
            actor_type=actor_type,
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            role_id=role_id,
            inherited=inherited,
        )
    )
    session.flush()
    return True


def revoke(
    session: Session,
    actor_type: str,
    actor_id: str,
    target_type: str,
    target_id: str,
    role_id: str,
    inherited: bool = False,
) -> bool:
    key = (actor_type, actor_id, target_type, target_id, role_id, inherited)
    row = session.get(Assignment, key)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def exists(
    session: Session,
    actor_type: str,
    actor_id: str,
    target_type: str,
    target_id: str,
    role_id: str,
    inherited: bool = False,
) -> bool:
    key = (actor_type, actor_id, target_type, target_id, role_id, inherited)
    return session.get(Assignment, key) is not None


def list_(session: Session, flt: AssignmentFilter) -> list[Assignment]:
    """Assignments matching every set field of ``flt``, in a stable order."""
    query = sa.select(Assignment).order_by(
        Assignment.actor_type, Assignment.actor_id, Assignment.target_type, Assignment.target_id
    )
    if flt.actor_type is not None:
        query = query.where(Assignment.actor_type == flt.actor_type)
    if flt.actor_ids is not None:
        query = query.where(Assignment.actor_id.in_(list(flt.actor_ids)))
    if flt.role_ids is not None:
        query = query.where(Assignment.role_id.in_(list(flt.role_ids)))
    if flt.target_type is not None:
        query = query.where(Assignment.target_type == flt.target_type)
    if flt.target_ids is not None:
        query = query.where(Assignment.target_id.in_(list(flt.target_ids)))
    if flt.inherited is not None:
        query = query.where(Assignment.inherited.is_(flt.inherited))
    return list(session.scalars(query))


def _actor(user_id: str, group_ids: list[str]) -> sa.ColumnElement[bool]:
    actor = sa.and_(Assignment.actor_type == "user", Assignment.actor_id == user_id)
    if group_ids:
        groups = sa.and_(Assignment.actor_type == "group", Assignment.actor_id.in_(group_ids))
        actor = sa.or_(actor, groups)
    return actor


def direct_role_ids(
    session: Session, user_id: str, group_ids: list[str], target_type: str, target_id: str
) -> set[str]:
    """Roles granted on the target to the user or to any of their groups (no inheritance)."""
    query = sa.select(Assignment.role_id).where(
        _actor(user_id, group_ids),
        Assignment.target_type == target_type,
        Assignment.target_id == target_id,
        Assignment.inherited.is_(False),
    )
    return set(session.scalars(query))


def inherited_role_ids(
    session: Session, user_id: str, group_ids: list[str], domain_id: str
) -> set[str]:
    """Roles granted on a domain with ``inherited`` (OS-INHERIT), which apply to its projects."""
    query = sa.select(Assignment.role_id).where(
        _actor(user_id, group_ids),
        Assignment.target_type == "domain",
        Assignment.target_id == domain_id,
        Assignment.inherited.is_(True),
    )
    return set(session.scalars(query))


def inherited_project_role_ids(
    session: Session, user_id: str, group_ids: list[str], project_ids: list[str]
) -> set[str]:
    """Roles granted with OS-INHERIT on any of ``project_ids`` (they apply to the subtree)."""
    if not project_ids:
        return set()
    query = sa.select(Assignment.role_id).where(
        _actor(user_id, group_ids),
        Assignment.target_type == "project",
        Assignment.target_id.in_(project_ids),
        Assignment.inherited.is_(True),
    )
    return set(session.scalars(query))


def target_ids_for_user(
    session: Session, user_id: str, group_ids: list[str], target_type: str, inherited: bool = False
) -> set[str]:
    """Ids of the projects or domains the user (or one of their groups) holds any role on."""
    query = sa.select(Assignment.target_id).where(
        _actor(user_id, group_ids),
        Assignment.target_type == target_type,
        Assignment.inherited.is_(inherited),
    )
    return set(session.scalars(query))


def delete_for_actor(session: Session, actor_type: str, actor_id: str) -> None:
    session.execute(
        sa.delete(Assignment).where(
            Assignment.actor_type == actor_type, Assignment.actor_id == actor_id
        )
    )


def delete_for_target(session: Session, target_type: str, target_id: str) -> None:
    session.execute(
        sa.delete(Assignment).where(
            Assignment.target_type == target_type, Assignment.target_id == target_id
        )
    )
