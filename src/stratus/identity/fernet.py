"""Fernet key repositories, laid out as Keystone's ``/etc/keystone/fernet-keys``.

Files are named by integer: ``0`` is the *staged* key (next to become primary), the highest number
is the *primary* key (encrypts new tokens), the rest are *secondary* keys (still decrypt). Rotation
promotes the staged key to primary, writes a new staged key and drops the oldest secondaries beyond
``max_active_keys``. Every node of a cloud must have the same keys; rotate on one and copy.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from stratus.common import private_paths


class KeyRepositoryError(RuntimeError):
    """The key repository is missing, empty or unreadable."""


def _keys(repo: Path) -> dict[int, bytes]:
    if not repo.is_dir():
        raise KeyRepositoryError(
            f"key repository {repo} does not exist; run `stratus manage fernet setup`"
        )
    found = {}
    for entry in repo.iterdir():
        if entry.name.isdigit():
            found[int(entry.name)] = entry.read_bytes().strip()
    if not found:
        raise KeyRepositoryError(f"key repository {repo} holds no keys")
    return found


def _write(repo: Path, index: int, key: bytes) -> None:
    tmp = repo / f".{index}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    os.replace(tmp, repo / str(index))


def setup(repo: str | Path) -> bool:
    """Create the repository with a staged and a primary key. Returns False if it existed."""
    path = Path(repo)
    private_paths.make_dir(path, tighten_existing=True)
    if any(e.name.isdigit() for e in path.iterdir()):
        return False
    _write(path, 0, Fernet.generate_key())
    _write(path, 1, Fernet.generate_key())
    return True


def rotate(repo: str | Path, max_active_keys: int = 3) -> int:
    """Promote the staged key, stage a new one, prune old keys. Returns the new primary index."""
    path = Path(repo)
    keys = _keys(path)
    new_primary = max(keys) + 1
    os.replace(path / "0", path / str(new_primary))
    _write(path, 0, Fernet.generate_key())
    keys = _keys(path)
    secondaries = sorted(k for k in keys if k not in (0, new_primary))
    excess = len(keys) - max(max_active_keys, 2)
    for index in secondaries[: max(excess, 0)]:
        (path / str(index)).unlink()
    return new_primary


def load(repo: str | Path) -> MultiFernet:
    """All keys, primary first, ready to encrypt (primary) and decrypt (any)."""
    keys = _keys(Path(repo))
    order = sorted(keys, reverse=True)  # highest (primary) first, staged (0) last
    return MultiFernet([Fernet(keys[i]) for i in order])
