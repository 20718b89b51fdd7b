"""The data directory and everything secret in it are private from their first byte (issue 7).

``stratus up --virt fake`` runs for real up to the point where its APIs would listen; there the
test looks at the modes of what it made (the database's ``-wal``/``-shm`` files exist only while
it runs), with the common umask 022 that made the old code's files world-readable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from stratus.api.deploy import ApiApp
from stratus.cmd import all_in_one
from stratus.cmd.main import main

SECRETS = ("stratus.sqlite", "admin-openrc", "demo-openrc", "service-credentials")


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _up(data: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Run ``stratus up --virt fake``; the modes under ``data`` while it ran."""
    seen: dict[str, int] = {}

    async def serve_all(
        apps: Sequence[ApiApp], host: str, on_ready: Callable[[], None] | None = None, **_: object
    ) -> None:
        seen.update(_modes(data))

    monkeypatch.setattr(all_in_one, "serve_all", serve_all)
    monkeypatch.setenv("STRATUS_MY_IP", "127.0.0.1")
    assert main(["--data-dir", str(data), "up", "--virt", "fake"]) == 0
    assert seen, "stratus up did not get as far as serving"
    return seen


def _assert_private(modes: dict[str, int]) -> None:
    assert modes["."] == 0o700
    for name in (*SECRETS, "stratus.sqlite-wal", "stratus.sqlite-shm"):
        assert modes[name] == 0o600, f"{name}: {modes[name]:04o}"
    for repo in ("fernet-keys", "credential-keys"):
        assert modes[repo] == 0o700, f"{repo}: {modes[repo]:04o}"
        keys = [n for n in modes if n.startswith(f"{repo}/")]
        assert keys and all(modes[k] == 0o600 for k in keys), {k: oct(modes[k]) for k in keys}
    top = {n: m for n, m in modes.items() if "/" not in n and n != "."}
    readable = {n: f"{m:04o}" for n, m in top.items() if m & 0o077 and not stat.S_ISDIR(m)}
    assert not readable, f"readable by others in the data directory: {readable}"


def test_a_new_data_directory_is_private_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "deployment" / "var"  # NOTE: two levels that do not exist yet
    _assert_private(_up(data, monkeypatch))
    assert stat.S_IMODE((tmp_path / "deployment").stat().st_mode) == 0o700


def test_a_data_directory_left_readable_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    (data / "stratus.sqlite").touch(mode=0o644)  # as an older release left them
    (data / "stratus.sqlite-wal").touch(mode=0o644)
    _assert_private(_up(data, monkeypatch))
