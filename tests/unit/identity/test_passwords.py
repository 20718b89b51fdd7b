"""bcrypt password hashing."""

from __future__ import annotations

from stratus.identity import passwords


def test_hash_and_verify() -> None:
    hashed = passwords.hash_password("s3cret", rounds=4)
    assert hashed.startswith("$2b$04$")
    assert passwords.verify_password("s3cret", hashed)
    assert not passwords.verify_password("S3cret", hashed)
    assert not passwords.verify_password("s3cret", None)


def test_long_passwords_count_past_72_bytes() -> None:
    base = "x" * 100
    hashed = passwords.hash_password(base + "a", rounds=4)
    assert passwords.verify_password(base + "a", hashed)
    assert not passwords.verify_password(base + "b", hashed)


def test_generated_passwords_are_random() -> None:
    a, b = passwords.generate_password(), passwords.generate_password()
    assert a != b and len(a) == 24
