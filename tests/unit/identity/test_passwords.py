"""bcrypt password hashing."""

from __future__ import annotations

import pytest

from stratus.identity import passwords


def test_hash_and_verify() -> None:
    hashed = passwords.hash_password("s3cret", rounds=4)
    assert hashed.startswith("$2b$04$")
    assert passwords.verify_password("s3cret", hashed)
    assert not passwords.verify_password("S3cret", hashed)
    assert not passwords.verify_password("s3cret", None, rounds=4)


def test_long_passwords_count_past_72_bytes() -> None:
    base = "x" * 100
    hashed = passwords.hash_password(base + "a", rounds=4)
    assert passwords.verify_password(base + "a", hashed)
    assert not passwords.verify_password(base + "b", hashed)


def test_generated_passwords_are_random() -> None:
    a, b = passwords.generate_password(), passwords.generate_password()
    assert a != b and len(a) == 24


@pytest.mark.parametrize("hashed", [None, "", "not-a-bcrypt-hash"])
def test_nothing_to_check_costs_a_check_of_the_given_cost(
    monkeypatch: pytest.MonkeyPatch, hashed: str | None
) -> None:
    seen: list[bytes] = []
    real = passwords.bcrypt.checkpw

    def counting(password: bytes, against: bytes) -> bool:
        seen.append(against)
        return real(password, against)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting)
    assert not passwords.verify_password("s3cret", hashed, rounds=5)
    assert [h[:7] for h in seen][-1] == b"$2b$05$"
