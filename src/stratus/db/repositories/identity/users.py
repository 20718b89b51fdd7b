"""Users and group membership."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.db.models.identity import GroupMembership, User
from stratus.db.repositories.identity.common import conflict, flush, get_or_404, name_key


def get(session: Session, user_id: str) -> User:
    return get_or_404(session, User, user_id, "user")


def find_by_name(session: Session, name: str, domain_id: str) -> User:
    row = session.scalar(
        sa.select(User).where(User.domain_id == domain_id, User.name_key == name_key(name))
    )
    if row is None:
        raise exceptions.NotFound(f"Could not find user: {name}.")
    return row


def group_ids(session: Session, user_id: str) -> list[str]:
    query = sa.select(GroupMembership.group_id).where(GroupMembership.user_id == user_id)
    return list(session.scalars(query))


def check_name_free(
    session: Session, name: str, domain_id: str, exclude_id: str | None = None
) -> None:
    query = sa.select(User.id).where(User.domain_id == domain_id, User.name_key == name_key(name))
    if exclude_id:
        query = query.where(User.id != exclude_id)
    if session.scalar(query):
        raise conflict("user", f"name {name} at domain ID {domain_id}")


def create(
    session: Session,
    user_id: str,
    name: str,
    domain_id: str,
    password_hash: str | None,
    default_project_id: str | None = None,
    enabled: bool = True,
    description: str | None = None,
    email: str | None = None,
    extra: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> User:
    check_name_free(session, name, domain_id)
    row = User(
        id=user_id,
        name=name,
        name_key=name_key(name),
        domain_id=domain_id,
        password_hash=password_hash,
        password_created_at=clock.utcnow() if password_hash else None,
        default_project_id=default_project_id,
        enabled=enabled,
        description=description,
        email=email,
        options=options or {},
        extra=extra or {},
    )
    flush(session, row)
    return row


def list_(
    session: Session,
    name: str | None = None,
    domain_id: str | None = None,
    enabled: bool | None = None,
    ids: set[str] | None = None,
) -> list[User]:
    query = sa.select(User).order_by(User.name, User.id)
    if name is not None:
        query = query.where(User.name == name)
    if domain_id is not None:
        query = query.where(User.domain_id == domain_id)
    if enabled is not None:
        query = query.where(User.enabled.is_(enabled))
    if ids is not None:
        if not ids:
            return []
        query = query.where(User.id.in_(ids))
    return list(session.scalars(query))


def by_ids(session: Session, user_ids: set[str]) -> dict[str, User]:
    if not user_ids:
        return {}
    return {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(user_ids)))}


def ids_in_domain(session: Session, domain_id: str) -> list[str]:
    return list(session.scalars(sa.select(User.id).where(User.domain_id == domain_id)))


def clear_default_project(session: Session, project_ids: set[str]) -> None:
    """Users whose default project is deleted lose it (as Keystone does)."""
    if project_ids:
        session.execute(
            sa.update(User)
            .where(User.default_project_id.in_(project_ids))
            .values(default_project_id=None)
        )


def delete(session: Session, row: User) -> None:
    session.execute(sa.delete(GroupMembership).where(GroupMembership.user_id == row.id))
    session.delete(row)
    session.flush()


# -- failed password checks ([security_compliance] lockout) ---------------------------------------
def record_failed_auth(session: Session, user_id: str, when: dt.datetime) -> None:
    """Count one more failed password check in a row; an id that matches no user changes nothing.

    The increment happens in the database, so concurrent failures are all counted.
    """
    session.execute(
        sa.update(User)
        .where(User.id == user_id)
        .values(
            failed_auth_count=User.failed_auth_count + 1,
            failed_auth_at=when,
            # NOTE: a failed login is not a change of the user.
            updated_at=User.updated_at,
        )
        .execution_options(synchronize_session=False)
    )


def reset_failed_auth(session: Session, user_id: str) -> None:
    """Forget the user's failed password checks (a success, an expired lock, an admin unlock)."""
    session.execute(
        sa.update(User)
        .where(User.id == user_id)
        .values(failed_auth_count=0, failed_auth_at=None, updated_at=User.updated_at)
        .execution_options(synchronize_session=False)
    )


# -- group membership ---------------------------------------------------------------------------
def add_to_group(session: Session, user_id: str, group_id: str) -> None:
    if session.get(GroupMembership, (user_id, group_id)) is None:
        flush(session, GroupMembership(user_id=user_id, group_id=group_id))


def in_group(session: Session, user_id: str, group_id: str) -> bool:
    return session.get(GroupMembership, (user_id, group_id)) is not None


def remove_from_group(session: Session, user_id: str, group_id: str) -> bool:
    row = session.get(GroupMembership, (user_id, group_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def member_ids(session: Session, group_ids_: set[str]) -> dict[str, set[str]]:
    """Group id -> ids of its members."""
    result: dict[str, set[str]] = {g: set() for g in group_ids_}
    if not group_ids_:
        return result
    query = sa.select(GroupMembership).where(GroupMembership.group_id.in_(group_ids_))
    for row in session.scalars(query):
        result[row.group_id].add(row.user_id)
    return result
