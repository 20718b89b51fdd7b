"""Real VMs need root on the compute host (network namespaces): said up front, not per guest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from stratus.cmd.compute import check_privileges
from stratus.common.config import ConfigError
from tests.fixtures.cloud import make_config


def test_linuxbridge_needs_root_and_says_what_to_do_instead(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, f"sqlite:///{tmp_path}/db.sqlite")
    cfg.network.backend = "linuxbridge"
    check_privileges(cfg, euid=0)
    with pytest.raises(ConfigError, match=r"needs root: run as root \(sudo\), or .*--virt fake"):
        check_privileges(cfg, euid=1000)
    cfg.network.backend = "noop"
    check_privileges(cfg, euid=1000)  # the fake driver's cloud runs as anyone


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_stratus_up_as_a_plain_user_stops_at_once_with_the_reason() -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="stratus-nobody-"))  # NOTE: pytest's are root-only
    tmp_path.chmod(0o777)
    try:
        done = _up_as_nobody(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert done.returncode == 2, done.stderr
    assert "linuxbridge network backend" in done.stderr and "needs root" in done.stderr


def _up_as_nobody(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
         "stratus.cmd.main", "--data-dir", str(tmp_path / "var"), "up"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "STRATUS_MY_IP": "127.0.0.1",
             "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
