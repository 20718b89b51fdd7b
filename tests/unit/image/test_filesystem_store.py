"""The filesystem store: staging, atomic commit, abort, ranged reads, idempotent delete."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stratus.common import exceptions
from stratus.image.stores.filesystem import FilesystemStore

IMAGE = "3c2b7a2e-8a0e-4d43-9a7e-2d9f4a1d5f10"


@pytest.fixture
def store(tmp_path: Path) -> FilesystemStore:
    return FilesystemStore(tmp_path / "images")


def _put(store: FilesystemStore, data: bytes) -> None:
    staged = store.stage(IMAGE)
    staged.write(data)
    staged.commit()


def test_commit_makes_the_data_visible_with_mode_0600(store: FilesystemStore) -> None:
    staged = store.stage(IMAGE)
    staged.write(b"abc")
    staged.write(b"def")
    assert store.size(IMAGE) is None
    assert staged.path.parent == store.datadir and staged.path.name.startswith(".")
    staged.close()
    assert staged.path.read_bytes() == b"abcdef"
    staged.commit()
    final = store.datadir / IMAGE
    assert final.read_bytes() == b"abcdef"
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    assert store.size(IMAGE) == 6
    assert list(store.datadir.iterdir()) == [final]
    staged.abort()  # a no-op after commit
    assert final.exists()


def test_abort_removes_the_staged_file_and_keeps_old_data(store: FilesystemStore) -> None:
    _put(store, b"old")
    staged = store.stage(IMAGE)
    staged.write(b"new data")
    staged.abort()
    staged.abort()
    assert not staged.path.exists()
    assert b"".join(store.read(IMAGE)) == b"old"


def test_ranged_reads_in_chunks(store: FilesystemStore) -> None:
    _put(store, bytes(range(256)) * 4)
    chunks = list(store.read(IMAGE, offset=10, length=100, chunk_size=32))
    assert [len(c) for c in chunks] == [32, 32, 32, 4]
    assert b"".join(chunks) == (bytes(range(256)) * 4)[10:110]
    assert b"".join(store.read(IMAGE, offset=1000)) == (bytes(range(256)) * 4)[1000:]


def test_missing_data(store: FilesystemStore) -> None:
    with pytest.raises(exceptions.NotFound):
        store.read(IMAGE)
    assert store.size(IMAGE) is None
    store.delete(IMAGE)  # idempotent


def test_delete(store: FilesystemStore) -> None:
    _put(store, b"x")
    store.delete(IMAGE)
    store.delete(IMAGE)
    assert store.size(IMAGE) is None


@pytest.mark.parametrize("bad", ["../etc/passwd", "x", "/abs", ""])
def test_only_uuid_ids_become_file_names(store: FilesystemStore, bad: str) -> None:
    with pytest.raises(exceptions.NotFound):
        store.stage(bad)
    with pytest.raises(exceptions.NotFound):
        store.read(bad)
    assert store.size(bad) is None
    store.delete(bad)
