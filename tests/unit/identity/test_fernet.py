"""Fernet key repository: setup, rotation keeps old tokens valid until their key is pruned."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from stratus.identity import fernet


def test_setup_is_idempotent_and_private(tmp_path: Path) -> None:
    repo = tmp_path / "keys"
    assert fernet.setup(repo) is True
    assert fernet.setup(repo) is False
    assert sorted(p.name for p in repo.iterdir()) == ["0", "1"]
    assert oct(repo.stat().st_mode & 0o777) == "0o700"
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in repo.iterdir())


def test_rotation(tmp_path: Path) -> None:
    repo = tmp_path / "keys"
    fernet.setup(repo)
    old = fernet.load(repo).encrypt(b"hello")
    assert fernet.rotate(repo, max_active_keys=3) == 2
    assert fernet.load(repo).decrypt(old) == b"hello"  # old primary is now a secondary
    fernet.rotate(repo, max_active_keys=3)
    fernet.rotate(repo, max_active_keys=3)
    assert sorted(int(p.name) for p in repo.iterdir()) == [0, 3, 4]
    with pytest.raises(InvalidToken):
        fernet.load(repo).decrypt(old)


def test_missing_repository(tmp_path: Path) -> None:
    with pytest.raises(fernet.KeyRepositoryError, match="fernet setup"):
        fernet.load(tmp_path / "nope")
