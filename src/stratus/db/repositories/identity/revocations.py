"""Token revocation events."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.db.models.identity import RevocationEvent


def add(
    session: Session,
    *,
    audit_id: str | None = None,
    user_id: str | None = None,
    project_id: str | None = None,
    domain_id: str | None = None,
    expires_at: dt.datetime | None = None,
) -> None:
    now = clock.utcnow()
    session.add(
        RevocationEvent(
            audit_id=audit_id,
            user_id=user_id,
            project_id=project_id,
            domain_id=domain_id,
            issued_before=now,
            revoked_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()


def is_revoked(
    session: Session,
    audit_ids: tuple[str, ...],
    user_id: str,
    project_id: str | None,
    domain_ids: tuple[str, ...],
    issued_at: dt.datetime,
) -> bool:
    """One query: does any event match this token?"""
    E = RevocationEvent  # noqa: N806 (a table alias)
    later = E.issued_before >= issued_at
    conditions = [
        E.audit_id.in_(audit_ids),
        sa.and_(E.user_id == user_id, E.audit_id.is_(None), E.project_id.is_(None), later),
    ]
    if project_id:
        conditions.append(sa.and_(E.project_id == project_id, E.user_id.is_(None), later))
    if domain_ids:
        conditions.append(sa.and_(E.domain_id.in_(domain_ids), E.user_id.is_(None), later))
    return session.scalar(sa.select(E.id).where(sa.or_(*conditions)).limit(1)) is not None


def prune(session: Session, older_than: dt.datetime) -> int:
    """Delete the events recorded before ``older_than`` (naive UTC); returns how many went."""
    result = session.execute(
        sa.delete(RevocationEvent).where(RevocationEvent.revoked_at < older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)
