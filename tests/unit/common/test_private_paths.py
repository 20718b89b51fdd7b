"""Private directories and files: 0700/0600 at every level created, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.common import private_paths


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_missing_level_is_created_private(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    private_paths.make_dir(tmp_path / "a" / "b" / "c")
    assert [_mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3
    assert _mode(tmp_path) == 0o755  # NOTE: an existing parent is not ours to change


def test_an_existing_directory_is_tightened_only_when_asked(tmp_path: Path) -> None:
    d = tmp_path / "var"
    d.mkdir(mode=0o755)
    private_paths.make_dir(d)
    assert _mode(d) == 0o755
    private_paths.make_dir(d, tighten_existing=True)
    assert _mode(d) == 0o700


def test_a_file_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "f").touch()
    with pytest.raises(NotADirectoryError):
        private_paths.make_dir(tmp_path / "f")


def test_files_are_created_0600_and_existing_ones_keep_their_bytes(tmp_path: Path) -> None:
    new = private_paths.make_file(tmp_path / "new")
    assert _mode(new) == 0o600 and new.read_bytes() == b""
    old = tmp_path / "old"
    old.write_bytes(b"data")
    old.chmod(0o644)
    private_paths.make_file(old)
    assert _mode(old) == 0o600 and old.read_bytes() == b"data"
    shared = tmp_path / "shared.log"
    shared.touch(mode=0o640)
    private_paths.make_file(shared, tighten_existing=False)
    assert _mode(shared) == 0o640
