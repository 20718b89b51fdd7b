"""Token sealing: round trip, tampering, foreign keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.identity import fernet, token_format
from stratus.identity.token_format import TokenPayload


def payload() -> TokenPayload:
    return TokenPayload(
        user_id="u" * 32,
        methods=("password",),
        issued_at=1.5,
        expires_at=3601.25,
        audit_ids=(token_format.new_audit_id(),),
        project_id="p" * 32,
    )


def test_round_trip(tmp_path: Path) -> None:
    fernet.setup(tmp_path)
    keys = fernet.load(tmp_path)
    original = payload()
    token = token_format.seal(original, keys)
    assert "=" not in token
    assert token_format.unseal(token, keys) == original
    assert original.scope == "project"


def test_tampered_or_foreign_tokens_are_rejected(tmp_path: Path) -> None:
    fernet.setup(tmp_path / "a")
    fernet.setup(tmp_path / "b")
    token = token_format.seal(payload(), fernet.load(tmp_path / "a"))
    with pytest.raises(token_format.MalformedToken):
        token_format.unseal(token, fernet.load(tmp_path / "b"))
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(token_format.MalformedToken):
        token_format.unseal(flipped, fernet.load(tmp_path / "a"))
    with pytest.raises(token_format.MalformedToken):
        token_format.unseal("not-a-token", fernet.load(tmp_path / "a"))
