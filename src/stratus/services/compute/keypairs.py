"""Key pairs: import (ssh or x509) or generate, with Nova's names, checks and fingerprints.

* ``ssh`` keys (``ssh-rsa``, ``ssh-ed25519``, ``ecdsa-sha2-*``) are parsed with ``cryptography``;
  junk is a 400. Their fingerprint is the MD5 of the key blob as ``aa:bb:…``, the form the
  installation guides show (``ssh-keygen -l -E md5``).
* ``x509`` keys are PEM certificates; their fingerprint is the SHA-1 of the DER certificate.
* Generated keys are RSA 2048 (ssh) or a self-signed certificate (x509); the private key is
  returned once and never stored.
* Names are 1-255 characters of letters, digits, ``_``, ``-`` and space (Nova before 2.92).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import string

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.db.models.compute import KeyPair
from stratus.db.repositories.compute import keypairs as repo
from stratus.services import quota

SSH = "ssh"
X509 = "x509"
KEY_TYPES = (SSH, X509)
_SAFE_CHARS = frozenset("_- " + string.digits + string.ascii_letters)


@dataclasses.dataclass(frozen=True)
class NewKeyPair:
    """A key pair just created; ``private_key`` is set only when Stratus generated it."""

    row: KeyPair
    private_key: str | None


def _invalid(reason: str) -> exceptions.Invalid:
    return exceptions.Invalid(f"Keypair data is invalid: {reason}")


def _colons(hex_digest: str) -> str:
    return ":".join(hex_digest[i : i + 2] for i in range(0, len(hex_digest), 2))


def ssh_fingerprint(public_key: str) -> str:
    """MD5 fingerprint of an OpenSSH public key line; ``Invalid`` if it is not one."""
    try:
        serialization.load_ssh_public_key(public_key.encode("utf-8"))
        blob = base64.b64decode(public_key.split()[1])
    except Exception:  # NOTE: ValueError, binascii.Error, UnsupportedAlgorithm, IndexError …
        raise _invalid("failed to generate fingerprint") from None
    return _colons(hashlib.md5(blob, usedforsecurity=False).hexdigest())


def x509_fingerprint(pem: str) -> str:
    """SHA-1 fingerprint of a PEM certificate; ``Invalid`` if it is not one."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode("utf-8"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise _invalid(f"failed to generate X509 fingerprint. Error message: {exc}") from None
    return _colons(cert.fingerprint(hashes.SHA1()).hex())


def generate_ssh() -> tuple[str, str]:
    """A new RSA 2048 key: ``(private key PEM, OpenSSH public key line)``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return private, public.decode() + " Generated-by-Stratus"


def generate_x509(user_id: str) -> tuple[str, str]:
    """A new RSA key and a self-signed client certificate: ``(private key PEM, cert PEM)``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id or "stratus")])
    now = clock.utcnow().replace(tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def check_name(name: str) -> None:
    if any(c not in _SAFE_CHARS for c in name):
        raise _invalid("Keypair name contains unsafe characters")
    if not 1 <= len(name) <= 255:
        raise _invalid("Keypair name must be string and between 1 and 255 characters long")


def _material(key_type: str, public_key: str | None, user_id: str) -> tuple[str, str, str | None]:
    """``(public key, fingerprint, private key or None)`` for an import or a generation."""
    if public_key is None:
        private, public_key = generate_x509(user_id) if key_type == X509 else generate_ssh()
    else:
        private = None
    if key_type == X509:
        return public_key, x509_fingerprint(public_key), private
    return public_key, ssh_fingerprint(public_key), private


def create(
    session: Session,
    cfg: Config,
    project_id: str,
    user_id: str,
    name: str,
    key_type: str = SSH,
    public_key: str | None = None,
) -> NewKeyPair:
    """Import ``public_key`` or generate one, within the user's ``key_pairs`` quota.

    ``Invalid`` for a bad name or key, ``Conflict`` for a duplicate name, ``QuotaExceeded``
    when the user already has as many key pairs as allowed.
    """
    check_name(name)
    quota.enforce(session, cfg, project_id, user_id, {"key_pairs": 1})
    if repo.find(session, user_id, name) is not None:
        raise exceptions.Conflict(f"Key pair '{name}' already exists.")
    public, fingerprint, private = _material(key_type, public_key, user_id)
    row = KeyPair(
        name=name,
        user_id=user_id,
        fingerprint=fingerprint,
        public_key=public,
        type=key_type,
        created_at=clock.utcnow(),
    )
    repo.add(session, row)
    return NewKeyPair(row, private)
