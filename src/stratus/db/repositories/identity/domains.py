"""Domains."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.identity import Domain
from stratus.db.repositories.identity.common import conflict, flush, get_or_404, name_key


def get(session: Session, domain_id: str) -> Domain:
    return get_or_404(session, Domain, domain_id, "domain")


def find(session: Session, domain_id: str | None = None, name: str | None = None) -> Domain:
    """By id, or else by name (case-insensitive); ``NotFound`` otherwise."""
    if domain_id:
        return get(session, domain_id)
    if name:
        row = session.scalar(sa.select(Domain).where(Domain.name_key == name_key(name)))
        if row is not None:
            return row
        raise exceptions.NotFound(f"Could not find domain: {name}.")
    raise exceptions.Invalid("A domain id or name is required.")


def check_name_free(session: Session, name: str, exclude_id: str | None = None) -> None:
    query = sa.select(Domain.id).where(Domain.name_key == name_key(name))
    if exclude_id:
        query = query.where(Domain.id != exclude_id)
    if session.scalar(query):
        raise conflict("domain", f"name {name}")


def create(
    session: Session,
    domain_id: str,
    name: str,
    description: str = "",
    enabled: bool = True,
    extra: dict[str, Any] | None = None,
) -> Domain:
    check_name_free(session, name)
    if session.get(Domain, domain_id) is not None:
        raise conflict("domain", f"ID {domain_id}")
    row = Domain(
        id=domain_id,
        name=name,
        name_key=name_key(name),
        description=description,
        enabled=enabled,
        extra=extra or {},
    )
    flush(session, row)
    return row


def list_(session: Session, name: str | None = None, enabled: bool | None = None) -> list[Domain]:
    query = sa.select(Domain).order_by(Domain.name)
    if name is not None:
        query = query.where(Domain.name == name)
    if enabled is not None:
        query = query.where(Domain.enabled.is_(enabled))
    return list(session.scalars(query))


def by_ids(session: Session, domain_ids: set[str]) -> dict[str, Domain]:
    if not domain_ids:
        return {}
    return {d.id: d for d in session.scalars(sa.select(Domain).where(Domain.id.in_(domain_ids)))}


def delete(session: Session, row: Domain) -> None:
    session.delete(row)
    session.flush()
