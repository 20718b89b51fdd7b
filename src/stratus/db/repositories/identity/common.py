"""Helpers shared by the identity repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.base import Base

M = TypeVar("M", bound=Base)


def name_key(name: str) -> str:
    """The case-folded form unique constraints are built on (names are case-insensitive)."""
    return name.casefold()


def get_or_404(session: Session, model: type[M], ident: str, kind: str) -> M:
    """Row by primary key or ``NotFound`` with Keystone's message (``Could not find user: x.``)."""
    row = session.get(model, ident)
    if row is None:
        raise exceptions.NotFound(f"Could not find {kind}: {ident}.")
    return row


def conflict(kind: str, detail: str) -> exceptions.Conflict:
    """Keystone's duplicate-entry message."""
    return exceptions.Conflict(
        f"Conflict occurred attempting to store {kind} - Duplicate entry found with {detail}."
    )


def flush(session: Session, *rows: Any) -> None:
    """Add ``rows`` (if any) and flush, so constraint errors surface inside the repository."""
    for row in rows:
        session.add(row)
    session.flush()
