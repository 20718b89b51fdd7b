"""Key pairs: owned by a user (not a project), unique by name per user, listed by name."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import KeyPair


def find(session: Session, user_id: str, name: str) -> KeyPair | None:
    return session.scalars(
        sa.select(KeyPair).where(KeyPair.user_id == user_id, KeyPair.name == name)
    ).one_or_none()


def get(session: Session, user_id: str, name: str) -> KeyPair:
    """The user's key pair ``name``; ``NotFound`` (Nova's message) otherwise."""
    row = find(session, user_id, name)
    if row is None:
        raise exceptions.NotFound(f"Keypair {name} not found for user {user_id}")
    return row


def list_(
    session: Session, user_id: str, limit: int | None = None, marker: str | None = None
) -> list[KeyPair]:
    """The user's key pairs by name; ``marker`` is the name of the last one seen."""
    query = sa.select(KeyPair).where(KeyPair.user_id == user_id)
    if marker is not None:
        if find(session, user_id, marker) is None:
            raise exceptions.Invalid(f"Marker {marker} could not be found.")
        query = query.where(KeyPair.name > marker)
    query = query.order_by(KeyPair.name, KeyPair.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def add(session: Session, row: KeyPair) -> KeyPair:
    """Insert ``row``; ``Conflict`` if the user has a key pair of that name already."""
    if find(session, row.user_id, row.name) is not None:
        raise exceptions.Conflict(f"Key pair '{row.name}' already exists.")
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        raise exceptions.Conflict(f"Key pair '{row.name}' already exists.") from None
    return row


def delete(session: Session, user_id: str, name: str) -> None:
    session.delete(get(session, user_id, name))
    session.flush()
