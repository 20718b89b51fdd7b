"""Application credentials: a user's delegation of (some of) their roles on one project.

The secret is shown once, at creation, and stored as a bcrypt hash. Tokens issued with an
application credential stop validating as soon as it is deleted (``TokenService`` checks it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.db.models.identity import ApplicationCredential, Role
from stratus.db.repositories.identity import credentials, roles, users
from stratus.db.repositories.identity.common import flush
from stratus.identity import passwords
from stratus.services.identity import access_rules
from stratus.services.identity.roles import effective_roles
from stratus.services.identity.tokens import TokenService


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who asks for the credential: their user and the scope of their token."""

    user_id: str
    project_id: str | None
    system: str | None
    app_cred_id: str | None


def _parse_expiry(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = clock.parse_isotime(value)
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid expires_at: {value!r} is not an ISO 8601 time."
        ) from None
    if when <= clock.utcnow():
        raise exceptions.Invalid("expires_at must be in the future.")
    return when


def _caller_roles(session: Session, caller: Caller) -> list[Role]:
    if caller.project_id:
        return effective_roles(session, caller.user_id, "project", caller.project_id)
    if caller.system:
        return effective_roles(session, caller.user_id, "system", caller.system)
    raise exceptions.Invalid("An application credential needs a project-scoped token.")


def _requested_roles(
    session: Session, wanted: list[Mapping[str, Any]], held: list[Role], caller: Caller
) -> list[Role]:
    held_by_id = {r.id: r for r in held}
    chosen: dict[str, Role] = {}
    for ref in wanted:
        if ref.get("id"):
            role = roles.get(session, str(ref["id"]))
        else:
            domain = (
                (ref.get("domain") or {}).get("id", "")
                if isinstance(ref.get("domain"), dict)
                else ""
            )
            found = roles.find_by_name(session, str(ref.get("name", "")), domain)
            if found is None:
                raise exceptions.NotFound(f"Could not find role: {ref.get('name')}.")
            role = found
        if role.id not in held_by_id:
            raise exceptions.NotFound(
                f"Could not find role assignment with role: {role.id}, user or group: "
                f"{caller.user_id}, project, domain, or system: "
                f"{caller.project_id or caller.system}."
            )
        chosen[role.id] = role
    return list(chosen.values())


def create(
    session: Session, caller: Caller, user_id: str, body: Mapping[str, Any], rounds: int
) -> tuple[ApplicationCredential, str, list[Role]]:
    """A new credential; returns it, its secret (shown once) and its roles."""
    users.get(session, user_id)
    if caller.app_cred_id:
        raise exceptions.Forbidden(
            "Using method 'application_credential' is not allowed for managing additional "
            "application credentials."
        )
    if credentials.app_cred_name_taken(session, user_id, body["name"]):
        raise exceptions.Conflict(
            "Conflict occurred attempting to store application_credential - "
            "Duplicate name, " + body["name"] + "."
        )
    held = _caller_roles(session, caller)
    chosen = _requested_roles(session, body["roles"], held, caller) if body.get("roles") else held
    rules = access_rules.resolve(session, user_id, body.get("access_rules") or [])
    secret = body.get("secret") or secrets.token_urlsafe(64).rstrip("=")
    row = ApplicationCredential(
        id=ids.hex_id(),
        name=body["name"],
        user_id=user_id,
        project_id=caller.project_id,
        system=None if caller.project_id else caller.system,
        secret_hash=passwords.hash_password(secret, rounds),
        description=body.get("description"),
        expires_at=_parse_expiry(body.get("expires_at")),
        unrestricted=bool(body.get("unrestricted", False)),
        role_ids=[r.id for r in chosen],
        access_rules=rules,
    )
    flush(session, row)
    return row, secret, sorted(chosen, key=lambda r: r.name)


def roles_of(session: Session, row: ApplicationCredential) -> list[Role]:
    return roles.by_ids(session, set(row.role_ids))


def delete(session: Session, tokens: TokenService, user_id: str, app_cred_id: str) -> None:
    credentials.delete_app_cred(session, credentials.get_app_cred(session, user_id, app_cred_id))
    tokens.forget_all()
