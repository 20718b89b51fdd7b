"""Encryption of ``/v3/credentials`` blobs at rest (Keystone's credential key repository).

EC2 secrets must be readable again (the EC2 API signs requests with them), so they cannot be
hashed like passwords; they are encrypted with Fernet keys kept apart from the token keys, in
``<data dir>/credential-keys``.
"""

from __future__ import annotations

from stratus.services.identity.keyring import KeyRing


class CredentialCipher:
    def __init__(self, repository: str) -> None:
        self.keys = KeyRing(repository)

    def encrypt(self, blob: str) -> str:
        return self.keys.get().encrypt(blob.encode("utf-8")).decode("ascii")

    def decrypt(self, sealed: str) -> str:
        return self.keys.get().decrypt(sealed.encode("ascii")).decode("utf-8")
