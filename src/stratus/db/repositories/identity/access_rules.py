"""Application-credential access rules: a user's (service, path, method) triples, by API id."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.exc
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.identity import AccessRule, ApplicationCredentialAccessRule
from stratus.db.repositories.identity.common import conflict


def _not_found(access_rule_id: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"Could not find access rule: {access_rule_id}.")


def get(session: Session, user_id: str, access_rule_id: str) -> AccessRule:
    """The user's rule with API id ``access_rule_id``; ``NotFound`` for anyone else's."""
    row = find(session, user_id, access_rule_id)
    if row is None:
        raise _not_found(access_rule_id)
    return row


def find(session: Session, user_id: str, access_rule_id: str) -> AccessRule | None:
    query = sa.select(AccessRule).where(
        AccessRule.user_id == user_id, AccessRule.external_id == access_rule_id
    )
    return session.scalar(query)


def id_owned_by_other(session: Session, user_id: str, access_rule_id: str) -> bool:
    """Whether another user has a rule with this API id (Keystone refuses to share it)."""
    query = sa.select(AccessRule.id).where(
        AccessRule.external_id == access_rule_id, AccessRule.user_id != user_id
    )
    return session.scalar(query.limit(1)) is not None


def find_same(
    session: Session, user_id: str, service: str, path: str, method: str
) -> AccessRule | None:
    """The user's rule for exactly this service, path and method, if there is one."""
    query = sa.select(AccessRule).where(
        AccessRule.user_id == user_id,
        AccessRule.service == service,
        AccessRule.path == path,
        AccessRule.method == method,
    )
    return session.scalar(query)


def list_(
    session: Session,
    user_id: str,
    service: str | None = None,
    path: str | None = None,
    method: str | None = None,
) -> list[AccessRule]:
    query = sa.select(AccessRule).where(AccessRule.user_id == user_id).order_by(AccessRule.id)
    if service is not None:
        query = query.where(AccessRule.service == service)
    if path is not None:
        query = query.where(AccessRule.path == path)
    if method is not None:
        query = query.where(AccessRule.method == method)
    return list(session.scalars(query))


def create(
    session: Session, user_id: str, access_rule_id: str, service: str, path: str, method: str
) -> AccessRule:
    row = AccessRule(
        external_id=access_rule_id, user_id=user_id, service=service, path=path, method=method
    )
    session.add(row)
    try:
        session.flush()
    except sqlalchemy.exc.IntegrityError:
        # NOTE: only a concurrent create of the same rule gets here; callers look up first.
        raise conflict("access_rule", f"id {access_rule_id}") from None
    return row


def in_use(session: Session, row: AccessRule) -> bool:
    """Whether an application credential still carries the rule."""
    query = sa.select(ApplicationCredentialAccessRule.application_credential_id).where(
        ApplicationCredentialAccessRule.access_rule_id == row.id
    )
    return session.scalar(query.limit(1)) is not None


def delete(session: Session, row: AccessRule) -> None:
    """Delete a rule no credential uses; ``Forbidden`` if one does (Keystone's answer)."""
    if in_use(session, row):
        raise exceptions.Forbidden("May not delete access rule in use.")
    session.delete(row)
    try:
        session.flush()
    except sqlalchemy.exc.IntegrityError:
        # NOTE: a credential took the rule in the meantime; the foreign key refused.
        raise exceptions.Forbidden("May not delete access rule in use.") from None
