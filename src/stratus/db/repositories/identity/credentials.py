"""``/v3/credentials`` rows and application credentials."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.identity import AccessRule, ApplicationCredential, Credential
from stratus.db.repositories.identity.common import get_or_404


def get(session: Session, credential_id: str) -> Credential:
    return get_or_404(session, Credential, credential_id, "credential")


def find(session: Session, credential_id: str) -> Credential | None:
    return session.get(Credential, credential_id)


def list_(
    session: Session, user_id: str | None = None, cred_type: str | None = None
) -> list[Credential]:
    query = sa.select(Credential).order_by(Credential.created_at, Credential.id)
    if user_id is not None:
        query = query.where(Credential.user_id == user_id)
    if cred_type is not None:
        query = query.where(Credential.type == cred_type)
    return list(session.scalars(query))


def delete(session: Session, row: Credential) -> None:
    session.delete(row)
    session.flush()


def delete_for_user(session: Session, user_id: str) -> None:
    session.execute(sa.delete(Credential).where(Credential.user_id == user_id))
    session.execute(
        sa.delete(ApplicationCredential).where(ApplicationCredential.user_id == user_id)
    )
    # NOTE: after the credentials: a rule still linked to one cannot be deleted.
    session.execute(sa.delete(AccessRule).where(AccessRule.user_id == user_id))


def delete_for_projects(session: Session, project_ids: set[str]) -> None:
    if project_ids:
        session.execute(sa.delete(Credential).where(Credential.project_id.in_(project_ids)))
        session.execute(
            sa.delete(ApplicationCredential).where(
                ApplicationCredential.project_id.in_(project_ids)
            )
        )


# -- application credentials --------------------------------------------------------------------
def get_app_cred(session: Session, user_id: str, app_cred_id: str) -> ApplicationCredential:
    row = session.get(ApplicationCredential, app_cred_id)
    if row is None or row.user_id != user_id:
        raise exceptions.NotFound(f"Could not find application credential: {app_cred_id}.")
    return row


def list_app_creds(
    session: Session, user_id: str, name: str | None = None
) -> list[ApplicationCredential]:
    query = (
        sa.select(ApplicationCredential)
        .where(ApplicationCredential.user_id == user_id)
        .order_by(ApplicationCredential.name)
    )
    if name is not None:
        query = query.where(ApplicationCredential.name == name)
    return list(session.scalars(query))


def app_cred_name_taken(session: Session, user_id: str, name: str) -> bool:
    query = sa.select(ApplicationCredential.id).where(
        ApplicationCredential.user_id == user_id, ApplicationCredential.name == name
    )
    return session.scalar(query) is not None


def delete_app_cred(session: Session, row: ApplicationCredential) -> None:
    session.delete(row)
    session.flush()
