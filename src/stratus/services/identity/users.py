"""Users (create, update, delete, change password) and groups with their members.

Disabling or deleting a user, or changing their password, revokes every token they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.db.models.identity import Group, User
from stratus.db.repositories.identity import assignments, credentials, domains, groups, users
from stratus.db.repositories.identity.common import name_key
from stratus.db.session import Database
from stratus.identity import passwords
from stratus.services.identity import password_check
from stratus.services.identity.domains import extras
from stratus.services.identity.tokens import TokenService

USER_KNOWN = (
    "id",
    "name",
    "domain_id",
    "password",
    "enabled",
    "default_project_id",
    "description",
    "email",
    "options",
    "federated",
)
GROUP_KNOWN = ("id", "name", "domain_id", "description")


def create_user(
    session: Session, body: Mapping[str, Any], default_domain: str, rounds: int
) -> User:
    domain_id = body.get("domain_id") or default_domain
    domains.get(session, domain_id)
    password = body.get("password")
    return users.create(
        session,
        ids.hex_id(),
        body["name"],
        domain_id,
        passwords.hash_password(password, rounds) if password is not None else None,
        default_project_id=body.get("default_project_id"),
        enabled=body.get("enabled", True),
        description=body.get("description"),
        email=body.get("email"),
        extra=extras(body, USER_KNOWN),
        options=dict(body.get("options") or {}),
    )


def _set_password(row: User, password: str | None, rounds: int) -> None:
    row.password_hash = passwords.hash_password(password, rounds) if password is not None else None
    row.password_created_at = clock.utcnow()
    row.password_expires_at = None


def update_user(
    session: Session, tokens: TokenService, user_id: str, patch: Mapping[str, Any], rounds: int
) -> User:
    row = users.get(session, user_id)
    if "id" in patch and patch["id"] != user_id:
        raise exceptions.Invalid("Cannot change the ID of a user.")
    if "domain_id" in patch and patch["domain_id"] != row.domain_id:
        raise exceptions.Invalid("Cannot change Domain ID.")
    if "name" in patch and patch["name"] != row.name:
        users.check_name_free(session, patch["name"], row.domain_id, exclude_id=row.id)
        row.name, row.name_key = patch["name"], name_key(patch["name"])
    for field in ("default_project_id", "description", "email"):
        if field in patch:
            setattr(row, field, patch[field])
    if "options" in patch:
        row.options = {**row.options, **(patch["options"] or {})}
    row.extra = {**row.extra, **extras(patch, USER_KNOWN)}
    revoke = False
    if "password" in patch:
        _set_password(row, patch["password"], rounds)
        revoke = True
    if "enabled" in patch and patch["enabled"] != row.enabled:
        row.enabled = patch["enabled"]
        revoke = revoke or not row.enabled
    if patch.get("enabled") is True or "password" in patch:
        # NOTE: Keystone's way to unlock a locked-out user is to set enabled (to true); a
        # password set by an admin unlocks too (in Keystone any update of an enabled user does).
        password_check.clear_lockout(row)
    session.flush()
    if revoke:
        tokens.revoke_for(session, user_id=row.id)
    tokens.forget_all()
    return row


def change_password(
    db: Database, tokens: TokenService, user_id: str, original: str, new: str, rounds: int
) -> None:
    """Self-service password change; 401 unless ``original`` is the current password.

    Needs no token, so it is a login attempt like any other: unknown users cost the same, the
    check waits for the hashing gate, a locked user is refused and failures count towards a lock
    (Keystone authenticates ``original`` the same way). The check runs outside the write
    transaction, so a failure is counted and no write lock is held while hashing.
    """
    with db.read() as session:
        password_check.check_password(db, tokens.cfg, session.get(User, user_id), original)
    with db.write() as session:
        row = users.get(session, user_id)
        _set_password(row, new, rounds)
        password_check.clear_lockout(row)
        session.flush()
        tokens.revoke_for(session, user_id=row.id)


def delete_user(session: Session, tokens: TokenService, user_id: str) -> None:
    row = users.get(session, user_id)
    assignments.delete_for_actor(session, "user", user_id)
    credentials.delete_for_user(session, user_id)
    tokens.revoke_for(session, user_id=user_id)
    users.delete(session, row)
    tokens.forget_all()


# -- groups -------------------------------------------------------------------------------------
def create_group(session: Session, body: Mapping[str, Any], default_domain: str) -> Group:
    domain_id = body.get("domain_id") or default_domain
    domains.get(session, domain_id)
    return groups.create(
        session,
        ids.hex_id(),
        body["name"],
        domain_id,
        body.get("description") or "",
        extras(body, GROUP_KNOWN),
    )


def update_group(session: Session, group_id: str, patch: Mapping[str, Any]) -> Group:
    row = groups.get(session, group_id)
    if "domain_id" in patch and patch["domain_id"] != row.domain_id:
        raise exceptions.Invalid("Cannot change Domain ID.")
    if "name" in patch and patch["name"] != row.name:
        groups.check_name_free(session, patch["name"], row.domain_id, exclude_id=row.id)
        row.name, row.name_key = patch["name"], name_key(patch["name"])
    if "description" in patch:
        row.description = patch["description"] or ""
    row.extra = {**row.extra, **extras(patch, GROUP_KNOWN)}
    session.flush()
    return row


def delete_group(session: Session, tokens: TokenService, group_id: str) -> None:
    row = groups.get(session, group_id)
    assignments.delete_for_actor(session, "group", group_id)
    groups.delete(session, row)
    tokens.forget_all()


def add_member(session: Session, tokens: TokenService, group_id: str, user_id: str) -> None:
    groups.get(session, group_id)
    users.get(session, user_id)
    users.add_to_group(session, user_id, group_id)
    tokens.forget_all()


def check_member(session: Session, group_id: str, user_id: str) -> None:
    groups.get(session, group_id)
    users.get(session, user_id)
    if not users.in_group(session, user_id, group_id):
        raise exceptions.NotFound(f"User '{user_id}' not found in group '{group_id}'.")


def remove_member(session: Session, tokens: TokenService, group_id: str, user_id: str) -> None:
    check_member(session, group_id, user_id)
    users.remove_from_group(session, user_id, group_id)
    tokens.forget_all()


def members(session: Session, group_id: str) -> list[User]:
    groups.get(session, group_id)
    return users.list_(session, ids=groups.member_user_ids(session, group_id))


def groups_of_user(session: Session, user_id: str) -> list[Group]:
    users.get(session, user_id)
    return groups.list_(session, ids=users.group_ids(session, user_id))
