"""``/v3/credentials`` and the OS-EC2 extension, with blobs encrypted at rest.

An ``ec2`` credential's blob is a JSON object with ``access`` and ``secret``; its id is
``sha256(access)``, so an EC2 request's access key finds the credential directly, as in Keystone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids, untrusted_json
from stratus.db.models.identity import Credential
from stratus.db.repositories.identity import credentials, projects, users
from stratus.db.repositories.identity.common import flush
from stratus.db.session import Database
from stratus.services.identity.credentials_crypto import CredentialCipher
from stratus.services.identity.domains import extras

EC2 = "ec2"
KNOWN = ("id", "type", "blob", "user_id", "project_id")


@dataclasses.dataclass(frozen=True)
class Ec2Credential:
    """An EC2 key pair of a user, usable on one project."""

    user_id: str
    project_id: str | None
    access: str
    secret: str
    trust_id: str | None = None


def ec2_id(access: str) -> str:
    return hashlib.sha256(access.encode("utf-8")).hexdigest()


def _ec2_blob(blob: str) -> dict[str, Any]:
    try:
        # NOTE: the blob is client JSON inside JSON: the same depth and surrogate limits apply.
        data = untrusted_json.loads(blob, "blob in credential")
    except exceptions.Invalid:
        raise exceptions.Invalid("Invalid blob in credential") from None
    if not isinstance(data, dict) or not data:
        raise exceptions.Invalid("Invalid blob in credential: expected a JSON object.")
    if not isinstance(data.get("access"), str) or not data["access"]:
        raise exceptions.Invalid("Expecting to find access in credential blob.")
    return data


def _new_id(session: Session, body: Mapping[str, Any]) -> str:
    if body["type"] != EC2:
        return ids.hex_id()
    if not body.get("project_id"):
        raise exceptions.Invalid("An ec2 credential requires a project_id.")
    cred_id = ec2_id(_ec2_blob(body["blob"])["access"])
    if credentials.find(session, cred_id) is not None:
        raise exceptions.Conflict(
            f"Conflict occurred attempting to store credential - Duplicate ID, {cred_id}."
        )
    return cred_id


def create(session: Session, cipher: CredentialCipher, body: Mapping[str, Any]) -> Credential:
    users.get(session, body["user_id"])
    if body.get("project_id"):
        projects.get(session, body["project_id"])
    row = Credential(
        id=_new_id(session, body),
        user_id=body["user_id"],
        project_id=body.get("project_id"),
        type=body["type"],
        encrypted_blob=cipher.encrypt(body["blob"]),
        extra=extras(body, KNOWN),
    )
    flush(session, row)
    return row


def update(
    session: Session, cipher: CredentialCipher, cred_id: str, patch: Mapping[str, Any]
) -> Credential:
    row = credentials.get(session, cred_id)
    if "id" in patch and patch["id"] != cred_id:
        raise exceptions.Invalid("Cannot change the ID of a credential.")
    new_type = patch.get("type", row.type)
    if "blob" in patch:
        if new_type == EC2:
            # NOTE: as in Keystone the id stays sha256 of the original access key.
            _ec2_blob(patch["blob"])
        row.encrypted_blob = cipher.encrypt(patch["blob"])
    if "user_id" in patch:
        users.get(session, patch["user_id"])
        row.user_id = patch["user_id"]
    if "project_id" in patch:
        if patch["project_id"]:
            projects.get(session, patch["project_id"])
        row.project_id = patch["project_id"]
    row.type = new_type
    row.extra = {**row.extra, **extras(patch, KNOWN)}
    session.flush()
    return row


def delete(session: Session, cred_id: str) -> None:
    credentials.delete(session, credentials.get(session, cred_id))


# -- OS-EC2 -------------------------------------------------------------------------------------
def _to_ec2(cipher: CredentialCipher, row: Credential) -> Ec2Credential:
    blob = json.loads(cipher.decrypt(row.encrypted_blob))
    return Ec2Credential(
        user_id=row.user_id,
        project_id=row.project_id,
        access=str(blob.get("access", "")),
        secret=str(blob.get("secret", "")),
        trust_id=blob.get("trust_id"),
    )


def create_ec2(
    session: Session, cipher: CredentialCipher, user_id: str, project_id: str
) -> Ec2Credential:
    users.get(session, user_id)
    projects.get(session, project_id)
    access, secret = secrets.token_hex(16), secrets.token_hex(16)
    blob = json.dumps({"access": access, "secret": secret, "trust_id": None})
    create(
        session, cipher, {"type": EC2, "user_id": user_id, "project_id": project_id, "blob": blob}
    )
    return Ec2Credential(user_id, project_id, access, secret)


def list_ec2(session: Session, cipher: CredentialCipher, user_id: str) -> list[Ec2Credential]:
    users.get(session, user_id)
    return [
        _to_ec2(cipher, row) for row in credentials.list_(session, user_id=user_id, cred_type=EC2)
    ]


def _ec2_row(session: Session, user_id: str, access: str) -> Credential:
    users.get(session, user_id)
    row = credentials.find(session, ec2_id(access))
    if row is None or row.type != EC2 or row.user_id != user_id:
        raise exceptions.NotFound(f"Could not find credential: {ec2_id(access)}.")
    return row


def get_ec2(session: Session, cipher: CredentialCipher, user_id: str, access: str) -> Ec2Credential:
    return _to_ec2(cipher, _ec2_row(session, user_id, access))


def delete_ec2(session: Session, user_id: str, access: str) -> None:
    credentials.delete(session, _ec2_row(session, user_id, access))


def lookup_ec2_credential(
    session_or_db: Session | Database, access: str, cipher: CredentialCipher
) -> tuple[str, str | None, str]:
    """``(user_id, project_id, secret)`` of the EC2 access key ``access``; ``NotFound`` if unknown.

    For the EC2 API, which signs requests with the secret: Keystone's ``/v3/ec2tokens`` lookup.
    """
    if isinstance(session_or_db, Database):
        with session_or_db.read() as session:
            return lookup_ec2_credential(session, access, cipher)
    row = credentials.find(session_or_db, ec2_id(access))
    if row is None or row.type != EC2:
        raise exceptions.NotFound("Could not find the EC2 credential.")
    cred = _to_ec2(cipher, row)
    return cred.user_id, cred.project_id, cred.secret
