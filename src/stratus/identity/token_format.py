"""What a token carries and how it is sealed.

A token is a Fernet message (AES-128-CBC + HMAC-SHA256, via ``cryptography``) whose plaintext is a
compact JSON payload. Nothing in it is stored server-side: roles, names and the catalog are looked
up at validation time, so role changes apply at once and tokens survive restarts of the API.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os

from cryptography.fernet import InvalidToken, MultiFernet

VERSION = 1


def new_audit_id() -> str:
    """A short random id identifying one token (and, as second element, its chain)."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


@dataclasses.dataclass(frozen=True)
class TokenPayload:
    user_id: str
    methods: tuple[str, ...]
    issued_at: float
    expires_at: float
    audit_ids: tuple[str, ...]
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None
    app_cred_id: str | None = None

    @property
    def scope(self) -> str:
        if self.project_id:
            return "project"
        if self.domain_id:
            return "domain"
        if self.system:
            return "system"
        return "unscoped"


class MalformedToken(ValueError):
    """The token is not one of ours, was tampered with, or is truncated."""


def seal(payload: TokenPayload, keys: MultiFernet) -> str:
    data = {
        "v": VERSION,
        "u": payload.user_id,
        "m": list(payload.methods),
        "i": round(payload.issued_at, 6),
        "e": round(payload.expires_at, 6),
        "a": list(payload.audit_ids),
    }
    for key, value in (
        ("p", payload.project_id),
        ("d", payload.domain_id),
        ("s", payload.system),
        ("c", payload.app_cred_id),
    ):
        if value:
            data[key] = value
    sealed = keys.encrypt(json.dumps(data, separators=(",", ":")).encode())
    # NOTE: Fernet output is URL-safe base64 with '=' padding; the padding is dropped (as Keystone
    # does) so tokens survive being put in URLs and headers unchanged.
    return sealed.decode().rstrip("=")


def unseal(token: str, keys: MultiFernet) -> TokenPayload:
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = keys.decrypt(padded.encode())
        data = json.loads(raw)
        if data.get("v") != VERSION:
            raise MalformedToken("unknown token version")
        return TokenPayload(
            user_id=data["u"],
            methods=tuple(data["m"]),
            issued_at=float(data["i"]),
            expires_at=float(data["e"]),
            audit_ids=tuple(data["a"]),
            project_id=data.get("p"),
            domain_id=data.get("d"),
            system=data.get("s"),
            app_cred_id=data.get("c"),
        )
    except (InvalidToken, ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise MalformedToken("token could not be decrypted") from exc
