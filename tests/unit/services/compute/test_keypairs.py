"""Key pair fingerprints and names, checked against ``ssh-keygen -l -E md5`` answers."""

from __future__ import annotations

import pytest

from stratus.common import exceptions
from stratus.services.compute import keypairs

# ``ssh-keygen -l -E md5 -f key.pub`` printed this fingerprint for this key.
ED25519 = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKRoleq3RY+7mjEY1sH1fFOlIrNv/Nha1Vs9IDbT2US me@host\n"
)
ED25519_MD5 = "5b:68:e5:c3:58:a6:a5:b1:2e:b1:19:02:a4:9f:12:a6"


def test_ssh_fingerprint_matches_ssh_keygen() -> None:
    assert keypairs.ssh_fingerprint(ED25519) == ED25519_MD5


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "ssh-rsa",
        "ssh-rsa JUNK nova@ubuntu",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKR",  # truncated blob
        "ssh-dsa " + "A" * 40,
        "-----BEGIN CERTIFICATE-----",
        "ssh-ed25519 Zm9vYmFy me@host",  # base64 of something that is no key
    ],
)
def test_junk_is_invalid(junk: str) -> None:
    with pytest.raises(exceptions.Invalid, match="failed to generate fingerprint"):
        keypairs.ssh_fingerprint(junk)


def test_generated_keys_fingerprint_like_imported_ones() -> None:
    private, public = keypairs.generate_ssh()
    assert private.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert public.startswith("ssh-rsa ")
    assert len(keypairs.ssh_fingerprint(public).split(":")) == 16
    key, cert = keypairs.generate_x509("user-1")
    assert "PRIVATE KEY" in key
    assert len(keypairs.x509_fingerprint(cert).split(":")) == 20


@pytest.mark.parametrize("name", ["key_/.\\@:", "tab\there", "ünïcode", "", "x" * 256])
def test_bad_names(name: str) -> None:
    with pytest.raises(exceptions.Invalid, match="Keypair data is invalid"):
        keypairs.check_name(name)


def test_good_names() -> None:
    for name in ("my key", "k-1_2", "x" * 255):
        keypairs.check_name(name)
