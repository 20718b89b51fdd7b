"""`make up VIRT=fake` from the repository (the control plane): ready, Ctrl-C stops it cleanly,
a second start reuses the data."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import RunningCloud, openstack

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def test_make_up_then_restart_keeps_data(tmp_path: Path) -> None:
    data = tmp_path / "var"
    first = RunningCloud(
        data,
        tmp_path / "first.log",
        ["make", "--no-print-directory", "up", f"DATA_DIR={data}", "VIRT=fake"],
        cwd=REPO,
    )
    try:
        first.wait_ready()
        env = first.credentials("admin")
        project = openstack(env, "project", "create", "kept-across-restarts")
        token = openstack(env, "token", "issue")["id"]
    finally:
        code = first.stop()
    # NOTE: Ctrl-C reaches make too, which then dies of SIGINT (-2) as make always does; what
    # matters is that stratus itself shut down cleanly.
    assert code in (0, -2), first.log()
    assert "Stratus is ready" in first.log()
    assert "stratus.cmd.all_in_one [- - -] stopped" in first.log(), first.log()

    second = RunningCloud(data, tmp_path / "second.log", ports=first.ports)  # --virt fake
    try:
        second.wait_ready()
        env2 = second.credentials("admin")
        assert env2["OS_PASSWORD"] == env["OS_PASSWORD"], (
            "a restart must not change the admin password"
        )
        shown = openstack(env2, "project", "show", "kept-across-restarts")
        assert shown["id"] == project["id"]
        # a token issued before the restart is still valid (keys are on disk, not in memory)
        r = httpx.get(
            f"{second.auth_url}/auth/tokens",
            headers={"X-Auth-Token": token, "X-Subject-Token": token},
        )
        assert r.status_code == 200, r.text
    finally:
        assert second.stop() == 0, second.log()
