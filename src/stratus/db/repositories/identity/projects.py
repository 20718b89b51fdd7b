"""Projects."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.identity import Project
from stratus.db.repositories.identity.common import conflict, flush, get_or_404, name_key


def get(session: Session, project_id: str) -> Project:
    return get_or_404(session, Project, project_id, "project")


def find_by_name(session: Session, name: str, domain_id: str) -> Project:
    row = session.scalar(
        sa.select(Project).where(Project.domain_id == domain_id, Project.name_key == name_key(name))
    )
    if row is None:
        raise exceptions.NotFound(f"Could not find project: {name}.")
    return row


def check_name_free(
    session: Session, name: str, domain_id: str, exclude_id: str | None = None
) -> None:
    query = sa.select(Project.id).where(
        Project.domain_id == domain_id, Project.name_key == name_key(name)
    )
    if exclude_id:
        query = query.where(Project.id != exclude_id)
    if session.scalar(query):
        raise conflict("project", f"name {name} at domain ID {domain_id}")


def create(
    session: Session,
    project_id: str,
    name: str,
    domain_id: str,
    description: str = "",
    enabled: bool = True,
    parent_id: str | None = None,
    tags: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Project:
    check_name_free(session, name, domain_id)
    row = Project(
        id=project_id,
        name=name,
        name_key=name_key(name),
        domain_id=domain_id,
        description=description,
        enabled=enabled,
        parent_id=parent_id,
        tags=tags or [],
        extra=extra or {},
    )
    flush(session, row)
    return row


def list_(
    session: Session,
    name: str | None = None,
    domain_id: str | None = None,
    enabled: bool | None = None,
    parent_id: str | None = None,
    ids: set[str] | None = None,
) -> list[Project]:
    """Projects matching every given filter, by name."""
    query = sa.select(Project).order_by(Project.name, Project.id)
    if name is not None:
        query = query.where(Project.name == name)
    if domain_id is not None:
        query = query.where(Project.domain_id == domain_id)
    if enabled is not None:
        query = query.where(Project.enabled.is_(enabled))
    if parent_id is not None:
        query = query.where(Project.parent_id == parent_id)
    if ids is not None:
        if not ids:
            return []
        query = query.where(Project.id.in_(ids))
    return list(session.scalars(query))


def child_ids(session: Session, project_id: str) -> list[str]:
    return list(session.scalars(sa.select(Project.id).where(Project.parent_id == project_id)))


def subtree_ids(session: Session, project_id: str) -> set[str]:
    """``project_id`` and every project below it."""
    found = {project_id}
    frontier = [project_id]
    while frontier:
        children = list(
            session.scalars(sa.select(Project.id).where(Project.parent_id.in_(frontier)))
        )
        frontier = [c for c in children if c not in found]
        found.update(frontier)
    return found


def ancestor_ids(session: Session, project_id: str) -> list[str]:
    """The parents of ``project_id``, nearest first."""
    found: list[str] = []
    current = session.get(Project, project_id)
    while current is not None and current.parent_id and current.parent_id not in found:
        found.append(current.parent_id)
        current = session.get(Project, current.parent_id)
    return found


def by_ids(session: Session, project_ids: set[str]) -> dict[str, Project]:
    if not project_ids:
        return {}
    query = sa.select(Project).where(Project.id.in_(project_ids))
    return {p.id: p for p in session.scalars(query)}


def ids_in_domain(session: Session, domain_id: str) -> list[str]:
    return list(session.scalars(sa.select(Project.id).where(Project.domain_id == domain_id)))


def delete(session: Session, row: Project) -> None:
    session.delete(row)
    session.flush()


def delete_many(session: Session, project_ids: list[str]) -> None:
    """Delete projects, children before parents (the parent foreign key forbids the reverse)."""
    remaining = set(project_ids)
    while remaining:
        parents = set(
            session.scalars(
                sa.select(Project.parent_id).where(
                    Project.id.in_(remaining), Project.parent_id.is_not(None)
                )
            )
        )
        leaves = remaining - parents or remaining
        session.execute(sa.delete(Project).where(Project.id.in_(leaves)))
        remaining -= leaves
    session.flush()
