"""Console tokens (``console_auth_tokens``): stored by their hash, consumed at most once.

Callers pass the SHA-256 hex digest, never the token itself; ``consume`` marks a token used
with one conditional UPDATE, so two connections racing with the same token cannot both win on
any database backend.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.compute import ConsoleAuthToken, Instance


def create(
    session: Session,
    token_hash: str,
    instance_uuid: str,
    console_type: str,
    host: str,
    internal_access_path: str,
    now: dt.datetime,
    expires: dt.datetime,
) -> ConsoleAuthToken:
    row = ConsoleAuthToken(
        token_hash=token_hash,
        instance_uuid=instance_uuid,
        console_type=console_type,
        host=host,
        port=None,
        internal_access_path=internal_access_path,
        expires=expires,
        used=False,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def delete_expired(session: Session, now: dt.datetime) -> int:
    """Remove tokens past their expiry (used or not); how many went."""
    result = session.execute(sa.delete(ConsoleAuthToken).where(ConsoleAuthToken.expires <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_for_instance(session: Session, instance_uuid: str) -> None:
    """Forget every token of an instance (deleted, or moved to another host)."""
    session.execute(
        sa.delete(ConsoleAuthToken).where(ConsoleAuthToken.instance_uuid == instance_uuid)
    )


def consume(session: Session, token_hash: str, now: dt.datetime) -> ConsoleAuthToken | None:
    """Mark the token used if it is unused and unexpired; the row if this call won, else None."""
    result = session.execute(
        sa.update(ConsoleAuthToken)
        .where(
            ConsoleAuthToken.token_hash == token_hash,
            ConsoleAuthToken.used.is_(False),
            ConsoleAuthToken.expires > now,
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        return None
    return session.scalar(
        sa.select(ConsoleAuthToken).where(ConsoleAuthToken.token_hash == token_hash)
    )


def find(session: Session, token_hash: str) -> ConsoleAuthToken | None:
    """The token row whatever its state (to say why a token was refused)."""
    return session.scalar(
        sa.select(ConsoleAuthToken).where(ConsoleAuthToken.token_hash == token_hash)
    )


def live_instance(session: Session, instance_uuid: str) -> Instance | None:
    """The instance a token is bound to, unless it has been deleted."""
    return session.scalar(
        sa.select(Instance).where(Instance.uuid == instance_uuid, Instance.deleted.is_(False))
    )
