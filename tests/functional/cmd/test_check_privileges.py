"""Real VMs need root on the compute host (network namespaces): said up front, not per guest."""

from __future__ import annotations

from pathlib import Path

import pytest

from stratus.cmd import compute
from stratus.cmd.compute import check_privileges
from stratus.cmd.main import main
from stratus.common.config import ConfigError
from stratus.db import engine
from tests.fixtures.cloud import make_config


def test_linuxbridge_needs_root_and_says_what_to_do_instead(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, f"sqlite:///{tmp_path}/db.sqlite")
    cfg.network.backend = "linuxbridge"
    check_privileges(cfg, euid=0)
    with pytest.raises(ConfigError, match=r"needs root: run as root \(sudo\), or .*--virt fake"):
        check_privileges(cfg, euid=1000)
    cfg.network.backend = "noop"
    check_privileges(cfg, euid=1000)  # the fake driver's cloud runs as anyone


@pytest.mark.parametrize("command", [["up"], ["compute", "--host", "h1"]])
def test_commands_of_a_plain_user_stop_at_once_with_the_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    command: list[str],
) -> None:
    monkeypatch.setattr(compute.os, "geteuid", lambda: 1000)
    # NOTE: `stratus compute` forbids database access process-wide: restored after this test
    monkeypatch.setattr(engine, "_forbidden", engine._forbidden)
    monkeypatch.setenv("STRATUS_MY_IP", "127.0.0.1")
    assert main(["--data-dir", str(tmp_path / "var"), *command, "--virt", "qemu"]) == 2
    assert "linuxbridge network backend" in caplog.text and "needs root" in caplog.text
    assert not (tmp_path / "var" / "admin-openrc").exists()  # nothing was started


def test_database_access_is_allowed_again_after_the_compute_case() -> None:
    assert not engine._forbidden
