"""A real QEMU guest keeps running through control-plane faults (issue 7 §3: "guests keep
running through every control-plane fault"): kill -9 of the conductor, of the compute agent
and of RabbitMQ, each brought back, leave the same QEMU process running, and the agent, once
restarted, still reports the server ACTIVE and running. Deleting it then leaves no QEMU process
and no tap. Needs root (namespaces, taps, QEMU) — skipped otherwise."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.objects import states
from stratus.virt.qemu import process
from stratus.virt.qemu.driver import default_run_dir
from tests.chaos import report
from tests.chaos.deployment import RECOVERY_ENV, Injector
from tests.chaos.servers import ChaosProcesses, PgCluster
from tests.e2e.conftest import free_port
from tests.e2e.guest_lab import needs_qemu
from tests.e2e.processes import MV, service_states, show_server, start_qemu_plane, token, until
from tests.e2e.qemu_cloud import SYNC_INTERVAL, clean_host, qemu_env
from tests.fixtures.rabbit import RabbitBroker

pytestmark = [pytest.mark.chaos, pytest.mark.chaos_smoke, pytest.mark.e2e, pytest.mark.rabbit,
              pytest.mark.postgres, needs_qemu]  # fmt: skip

BOOT = 300.0  # seconds: TCG on 2 shared cores, test image registered first
FAULTS = ("conductor", "agent", "rabbitmq")


@pytest.fixture
def qemu_procs(tmp_path: Path, rabbit_url: str, chaos_db: str) -> Iterator[ChaosProcesses]:
    p = ChaosProcesses(tmp_path, rabbit_url, chaos_db)
    p.env.update({**qemu_env(), **RECOVERY_ENV, "STRATUS_VNC__NOVNCPROXY_PORT": str(free_port())})
    try:
        yield p
    finally:
        p.stop_all()
        clean_host(p.data)


def _boot_guest(client: httpx.Client, p: ChaosProcesses) -> dict[str, Any]:
    flavor = {"name": "m1.nano", "vcpus": 1, "ram": 128, "disk": 1}
    r = client.post(p.url("compute", "/v2.1/flavors"), json={"flavor": flavor})
    assert r.status_code == 200, r.text
    images = client.get(p.url("image", "/v2/images?name=cirros")).json()["images"]
    nets = client.get(p.url("network", "/v2.0/networks?name=private")).json()["networks"]
    body = {"name": "guest", "imageRef": images[0]["id"], "flavorRef": r.json()["flavor"]["id"],
            "networks": [{"uuid": nets[0]["id"]}]}  # fmt: skip
    r = client.post(p.url("compute", "/v2.1/servers"), json={"server": body})
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    until(lambda: show_server(client, p, sid)["status"] != "BUILD", BOOT, "the guest to boot")
    server = show_server(client, p, sid)
    assert server["status"] == "ACTIVE", server
    return server


def _tap_exists(port_id: str) -> bool:
    name = f"tap{port_id[:11]}"
    return subprocess.run(["ip", "link", "show", "dev", name], capture_output=True).returncode == 0


def _running(client: httpx.Client, p: ChaosProcesses, sid: str) -> bool:
    s = show_server(client, p, sid)
    return (s["status"], s["OS-EXT-STS:power_state"], s["OS-EXT-STS:task_state"]) == (
        "ACTIVE", states.RUNNING, None)  # fmt: skip


@pytest.mark.timeout(1500)
def test_guest_keeps_running_through_control_plane_faults(
    qemu_procs: ChaosProcesses, chaos_pg: PgCluster, rabbit_broker: RabbitBroker
) -> None:
    p = qemu_procs
    start_qemu_plane(p)
    client = httpx.Client(headers={"X-Auth-Token": token(p), **MV}, timeout=60)
    until(lambda: service_states(client, p) == {"cmp1": "up"}, 90, "the agent up")
    server = _boot_guest(client, p)
    sid = server["id"]
    run_dir = default_run_dir(p.data / "instances")
    pid = process.live_pid(run_dir / sid / "qemu.pid", sid)
    assert pid is not None
    ports = client.get(p.url("network", f"/v2.0/ports?device_id={sid}")).json()["ports"]
    taps = [port["id"] for port in ports if _tap_exists(port["id"])]
    print(f"\n[guest {sid[:8]}] QEMU pid {pid}, taps of its ports: {taps}")
    injector = Injector(p, chaos_pg, rabbit_broker)
    problems: list[str] = []
    for target in FAULTS:
        if target != "rabbitmq" or rabbit_broker.can_restart:
            problems += _fault_round(client, p, injector, target, sid, pid)
    r = client.delete(p.url("compute", f"/v2.1/servers/{sid}"))
    assert r.status_code == 204, r.text
    until(lambda: client.get(p.url("compute", f"/v2.1/servers/{sid}")).status_code == 404,
          120, "the guest deleted")  # fmt: skip
    until(lambda: process.live_pid(run_dir / sid / "qemu.pid", sid) is None, 60, "QEMU gone")
    problems += [f"tap of port {t[:8]} left after delete" for t in taps if _tap_exists(t)]
    client.close()
    assert not problems, "\n".join(problems)


def _fault_round(
    client: httpx.Client, p: ChaosProcesses, injector: Injector, target: str, sid: str, pid: int
) -> list[str]:
    """Kill -9 ``target``, bring it back; the guest must still run, as the same process."""
    run_dir = default_run_dir(p.data / "instances")
    row = report.Row(f"kill -9 {target}, running QEMU guest", affected=1)
    report.ROWS.append(row)
    started = p.full_log("agent").count("compute agent cmp1 started")
    row.downtime = injector.inject(target, "kill")
    t0 = time.monotonic()
    if target == "agent":
        until(
            lambda: p.full_log("agent").count("compute agent cmp1 started") > started,
            120,
            "the agent's restart",
        )
    until(lambda: service_states(client, p) == {"cmp1": "up"}, 120, "the agent up")
    # NOTE: let a power sync run after the part came back: it must change nothing
    time.sleep(2 * SYNC_INTERVAL)
    until(lambda: _running(client, p, sid), 120, "the guest reported ACTIVE and running")
    row.recover = time.monotonic() - t0
    row.active = 1
    now = process.live_pid(run_dir / sid / "qemu.pid", sid)
    if now != pid:
        row.violations.append(f"QEMU of {sid[:8]} was pid {pid}, now {now}")
    return row.violations
