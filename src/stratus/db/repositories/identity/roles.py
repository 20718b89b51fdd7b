"""Roles and implied roles."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.identity import Assignment, ImpliedRole, Role
from stratus.db.repositories.identity.common import conflict, flush, get_or_404, name_key


def get(session: Session, role_id: str) -> Role:
    return get_or_404(session, Role, role_id, "role")


def find_by_name(session: Session, name: str, domain_id: str = "") -> Role | None:
    """A global role (``domain_id=""``) or a domain-specific one, matched case-insensitively."""
    query = sa.select(Role).where(Role.name_key == name_key(name), Role.domain_id == domain_id)
    return session.scalar(query)


def check_name_free(
    session: Session, name: str, domain_id: str, exclude_id: str | None = None
) -> None:
    query = sa.select(Role.id).where(Role.name_key == name_key(name), Role.domain_id == domain_id)
    if exclude_id:
        query = query.where(Role.id != exclude_id)
    if session.scalar(query):
        raise conflict("role", f"name {name}")


def create(
    session: Session,
    role_id: str,
    name: str,
    domain_id: str = "",
    description: str | None = None,
    options: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Role:
    check_name_free(session, name, domain_id)
    row = Role(
        id=role_id,
        name=name,
        name_key=name_key(name),
        domain_id=domain_id,
        description=description,
        options=options or {},
        extra=extra or {},
    )
    flush(session, row)
    return row


def list_(session: Session, name: str | None = None, domain_id: str = "") -> list[Role]:
    """Global roles (or those of ``domain_id``), optionally one name (case-insensitive)."""
    query = sa.select(Role).where(Role.domain_id == domain_id).order_by(Role.name)
    if name is not None:
        query = query.where(Role.name_key == name_key(name))
    return list(session.scalars(query))


def delete(session: Session, row: Role) -> None:
    session.execute(sa.delete(Assignment).where(Assignment.role_id == row.id))
    session.execute(
        sa.delete(ImpliedRole).where(
            sa.or_(ImpliedRole.prior_role_id == row.id, ImpliedRole.implied_role_id == row.id)
        )
    )
    session.delete(row)
    session.flush()


def ids_in_domain(session: Session, domain_id: str) -> list[str]:
    return list(session.scalars(sa.select(Role.id).where(Role.domain_id == domain_id)))


def by_ids(session: Session, role_ids: set[str]) -> list[Role]:
    if not role_ids:
        return []
    query = sa.select(Role).where(Role.id.in_(role_ids)).order_by(Role.name)
    return list(session.scalars(query))


# -- implied roles ------------------------------------------------------------------------------
def add_implied(session: Session, prior_id: str, implied_id: str) -> None:
    if session.get(ImpliedRole, (prior_id, implied_id)) is None:
        flush(session, ImpliedRole(prior_role_id=prior_id, implied_role_id=implied_id))


def has_implied(session: Session, prior_id: str, implied_id: str) -> bool:
    return session.get(ImpliedRole, (prior_id, implied_id)) is not None


def remove_implied(session: Session, prior_id: str, implied_id: str) -> bool:
    row = session.get(ImpliedRole, (prior_id, implied_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def implied_ids(session: Session, prior_id: str) -> list[str]:
    query = sa.select(ImpliedRole.implied_role_id).where(ImpliedRole.prior_role_id == prior_id)
    return list(session.scalars(query))


def all_inferences(session: Session) -> list[tuple[str, str]]:
    """Every (prior, implied) pair."""
    query = sa.select(ImpliedRole.prior_role_id, ImpliedRole.implied_role_id).order_by(
        ImpliedRole.prior_role_id
    )
    return [(p, i) for p, i in session.execute(query)]


def expand_implied(session: Session, role_ids: set[str]) -> set[str]:
    """``role_ids`` plus every role they imply, transitively."""
    result = set(role_ids)
    frontier = set(role_ids)
    while frontier:
        implied = set(
            session.scalars(
                sa.select(ImpliedRole.implied_role_id).where(
                    ImpliedRole.prior_role_id.in_(frontier)
                )
            )
        )
        frontier = implied - result
        result |= implied
    return result
