"""The all-in-one (``stratus up --virt fake``: SQLite, memory:// bus) killed -9 while 20
servers boot, and started again on the same data dir: every server settles (ACTIVE, or ERROR
with a fault) within the recovery bound and the invariants hold (issue 7 §2's first example:
18 servers stuck in BUILD through three restarts)."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import httpx
import pytest

from stratus.services.identity.bootstrap import read_openrc
from tests.chaos import invariants, report, workload
from tests.chaos.deployment import FAKE_ENV, RECOVERY_BOUND, RECOVERY_ENV, UNLIMITED
from tests.e2e.conftest import RunningCloud
from tests.e2e.processes import MV, upload_image

pytestmark = [pytest.mark.chaos, pytest.mark.e2e]


class Cloud:
    """The :class:`workload.Endpoints` of a ``stratus up``."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"


def _token(cloud: RunningCloud) -> str:
    rc = read_openrc(cloud.data_dir / "admin-openrc")
    scope = {"project": {"name": rc["OS_PROJECT_NAME"], "domain": {"name": "Default"}}}
    user = {"name": rc["OS_USERNAME"], "domain": {"name": "Default"}, "password": rc["OS_PASSWORD"]}
    body = {
        "auth": {"identity": {"methods": ["password"], "password": {"user": user}}, "scope": scope}
    }
    r = httpx.post(f"{cloud.auth_url}/auth/tokens", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def _kill9(cloud: RunningCloud) -> list[int]:
    """SIGKILL to ``stratus up``; then to what it left in its process group (returned: a
    restart cannot bind its ports while they live)."""
    cloud.proc.send_signal(signal.SIGKILL)
    cloud.proc.wait()
    left = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == cloud.proc.pid:
                    left.append(int(entry))
            except ProcessLookupError:
                continue
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


@pytest.mark.chaos_smoke
@pytest.mark.timeout(900)
def test_all_in_one_killed_mid_boot_and_started_again(tmp_path: Path) -> None:
    env = {**RECOVERY_ENV, **FAKE_ENV, **UNLIMITED}
    first = RunningCloud(tmp_path / "var", tmp_path / "stratus-1.log", extra_env=env)
    second: RunningCloud | None = None
    row = report.Row("kill -9 all-in-one (stratus up), mid-boot")
    report.ROWS.append(row)
    try:
        first.wait_ready()
        client = httpx.Client(headers={"X-Auth-Token": _token(first), **MV}, timeout=60)
        cloud = Cloud(first.ports)
        body = {"imageRef": upload_image(client, cloud), "flavorRef": "1", "networks": "auto"}  # type: ignore[arg-type]
        prefix = f"aio{random.randrange(10**6)}"
        db = f"sqlite:///{first.data_dir}/stratus.sqlite"
        wave, pool, futures = workload.start_creates(client, cloud, body, prefix)
        row.injected_at = workload.wait_for_trigger(lambda: len(wave.accepted) >= 6, 20)
        row.affected = invariants.busy_instances(db)
        t0 = time.monotonic()
        leftovers = _kill9(first)
        second = RunningCloud(
            first.data_dir, tmp_path / "stratus-2.log", ports=first.ports, extra_env=env
        )
        second.wait_ready()
        row.downtime = time.monotonic() - t0
        # NOTE: after the restart: creates refused meanwhile are retried until it answers
        workload.finish(pool, futures)
        client.headers["X-Auth-Token"] = _token(second)
        took, left = workload.settle(client, cloud, prefix, RECOVERY_BOUND)
        row.recover = None if left else took
        servers = workload.list_servers(client, cloud, prefix)
        row.active = sum(1 for s in servers if s["status"] == "ACTIVE")
        row.error = sum(1 for s in servers if s["status"] == "ERROR")
        row.other = f"{len(wave.lost)} creates without 202" if wave.lost else ""
        row.violations = [f"not stable within the bound: {s}" for s in left]
        if leftovers:  # NOTE: reported, not a violation (the dataplane may outlive by design)
            print(f"\n[all-in-one] processes left in its group after kill -9: {leftovers}")
        row.violations += invariants.check(client, cloud, db, wave)
        client.close()
    except Exception as exc:
        row.violations.append(f"test aborted: {exc!r}"[:300])
        raise
    finally:
        for c in (second, first):
            if c is not None:
                c.stop()
        print(f"\n[stratus up log tail]\n{(second or first).log()[-2000:]}")
    assert not row.violations, "\n".join(row.violations)
