"""Real VMs (issue 4's acceptance list), as a new user meets them: ``stratus up`` with its
defaults (the qemu driver; TCG on this machine, where KVM guests hang) and the real openstack CLI.

Part 1 (one ``stratus up``, tests in file order, sharing two guests): the image ``cirros`` is
there; the guide's ``server create ... --wait`` → ACTIVE; the console log shows the guest's
banner; SSH times out until the security group allows port 22, then ``ip netns exec qdhcp-<net>
ssh`` and ``stratus ssh`` work; stop (QEMU gone) / start (SSH again); hard and soft reboot;
pause/unpause; suspend/resume (the guest's uptime continues: its memory came back); resize +
confirm (the guest sees the new memory) and resize + revert (old flavor, the file written on the
old disk is there and the one written after the resize is not); snapshot → a second server from
it holds the file written before; delete leaves no process, tap, file, socket, DHCP entry or
lease, and a new server gets a freed address by DHCP.

Part 2 (processes over RabbitMQ and PostgreSQL: ``stratus api``, ``conductor``, ``scheduler``,
``stratus compute --virt qemu``): ``stratus manage image build-test --register``; three guests
run; the agent is killed (-9) and they keep running; restarted, they stay ACTIVE and actions work;
a QEMU killed -9 behind Stratus's back shows SHUTOFF (the power sync runs every 2 s).

Files written in the guest go to ``/data``: the test image's boot disk, mounted read-write (its
root is an initramfs). The guest's memory is read from ``/proc/meminfo`` over SSH. Run by hand
with ``-s`` to see the timings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.network.backend import runtime_dir
from stratus.objects import states
from stratus.services.identity.bootstrap import read_openrc
from stratus.virt.qemu import process
from stratus.virt.qemu.driver import default_run_dir
from stratus.virt.qemu.qmp import QMPClient
from tests.e2e.conftest import VENV_BIN, RunningCloud, free_port, openstack
from tests.e2e.guest_lab import needs_qemu
from tests.e2e.processes import Processes, start_qemu_plane
from tests.e2e.qemu_cloud import SYNC_INTERVAL, clean_host, qemu_env, qemu_up
from tests.fixtures.waiting import scaled, wait_until

pytestmark = [pytest.mark.e2e, needs_qemu]

READY = "STRATUS-GUEST-READY"
BOOT = 180.0  # seconds: TCG on 2 shared cores
FLAVORS = {  # name: (vcpus, MiB, GiB); the kernel needs more than the install guide's 64 MiB
    "guide.nano": (1, 64, 1),
    "m1.nano": (1, 128, 1),
    "m1.micro": (1, 256, 2),
    "m1.mini": (2, 384, 2),
}


def until(check: Any, timeout: float, what: str, step: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy (``timeout`` in reference seconds)."""
    return wait_until(check, timeout, what, step=step)


class Guide:
    """What the user types (openstack CLI, ssh) plus what an operator can look at on the host."""

    def __init__(self, env: dict[str, str], data_dir: Path, key: Path) -> None:
        self.env, self.data_dir, self.key = env, data_dir, key
        self.instances = data_dir / "instances"
        self.run_dir = default_run_dir(self.instances)

    def os(self, *args: str, fmt: bool = True) -> Any:
        return openstack(self.env, *args, fmt=fmt)

    def server(self, name: str) -> dict[str, Any]:
        return dict(self.os("server", "show", name))

    def status(self, name: str) -> str:
        server = self.server(name)
        return "" if server["OS-EXT-STS:task_state"] else str(server["status"])

    def wait(self, name: str, status: str, timeout: float = BOOT) -> dict[str, Any]:
        until(lambda: self.status(name) == status, timeout, f"{name} {status}")
        return self.server(name)

    def console(self, name: str) -> str:
        return str(self.os("console", "log", "show", name, fmt=False))

    def banners(self, name: str) -> int:
        return self.console(name).count(READY)

    def wait_banner(self, name: str, count: int) -> None:
        until(lambda: self.banners(name) >= count, BOOT, f"boot #{count} of {name}", 1.0)

    def address(self, name: str) -> tuple[str, str]:
        """(namespace, fixed IP) of the server's port on ``private``."""
        ip = self.server(name)["addresses"]["private"][0]
        net = self.os("network", "show", "private")["id"]
        return f"qdhcp-{net}", str(ip)

    def ssh(self, name: str, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """One SSH attempt (``timeout`` in reference seconds); a timeout is exit code 255."""
        ns, ip = self.address(name)
        cmd = [
            "ip", "netns", "exec", ns, "ssh", "-i", str(self.key),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            f"cirros@{ip}", command,
        ]  # fmt: skip
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=scaled(timeout))
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(cmd, 255, "", "timed out")

    def run(self, name: str, command: str, timeout: float = BOOT) -> str:
        """``command``'s output over SSH, retrying until the guest answers."""
        last: list[subprocess.CompletedProcess[str]] = []

        def attempt() -> bool:
            last[:] = [self.ssh(name, command)]
            return last[0].returncode == 0

        try:
            until(attempt, timeout, f"ssh {name} {command!r}", 1.0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {last[0].stderr if last else ''}") from None
        return last[0].stdout.strip()

    def mem_kb(self, name: str) -> int:
        return int(self.run(name, "awk '/^MemTotal:/{print $2}' /proc/meminfo"))

    def uuid(self, name: str) -> str:
        return str(self.server(name)["id"])

    def pid(self, uuid: str) -> int | None:
        return process.live_pid(self.run_dir / uuid / "qemu.pid", uuid)


def host_memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


def flavor_of(server: dict[str, Any]) -> str:
    """The flavor's name as ``server show -f json`` gives it (a dict since microversion 2.47)."""
    flavor = server["flavor"]
    if isinstance(flavor, dict):
        return str(flavor.get("original_name") or flavor.get("name"))
    return str(flavor).split(" (")[0]


def gone(pid: int, uuid: str) -> bool:
    """The QEMU of ``uuid`` that had ``pid`` no longer runs (its pid may have been reused)."""
    try:
        return uuid.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def timed(label: str, started: float) -> None:
    print(f"[{label}] {time.monotonic() - started:.1f} s", flush=True)


# ---------------------------------------------------------------------- part 1: stratus up


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with qemu_up(tmp_path_factory.mktemp("real-vms")) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def guide(up: RunningCloud) -> Guide:
    key = up.data_dir.parent / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    guide = Guide(up.credentials("admin"), up.data_dir, key)
    for name, (vcpus, ram, disk) in FLAVORS.items():
        guide.os(
            "flavor", "create", "--vcpus", str(vcpus), "--ram", str(ram), "--disk", str(disk), name
        )
    guide.os("keypair", "create", "--public-key", str(key.with_suffix(".pub")), "mykey")
    return guide


def boot(guide: Guide, name: str, image: str = "cirros", flavor: str = "m1.nano") -> float:
    net = guide.os("network", "show", "private")["id"]
    started = time.monotonic()
    server = guide.os(
        "server", "create", "--flavor", flavor, "--image", image, "--nic", f"net-id={net}",
        "--security-group", "default", "--key-name", "mykey", name, "--wait",
    )  # fmt: skip
    assert server["status"] == "ACTIVE", server
    return time.monotonic() - started


def test_make_up_registered_cirros_and_the_guide_boots_it(guide: Guide) -> None:
    [image] = guide.os("image", "list", "--name", "cirros", "--long")
    assert (image["Status"], image["Visibility"]) == ("active", "public"), image
    assert image["Disk Format"] == "qcow2"
    refused = openstack(
        guide.env, "server", "create", "--flavor", "guide.nano", "--image", "cirros",
        "--nic", "none", "too-small", check=False,
    )  # fmt: skip
    assert "Flavor's memory is too small for requested image" in refused.stderr
    [hypervisor] = guide.os("hypervisor", "list", "--long")
    assert hypervisor["Hypervisor Type"] in ("QEMU", "KVM")
    print(f"\n[hypervisor] {hypervisor}")
    # resources of the real host (the scheduler's room for guests)
    assert hypervisor["vCPUs"] == os.cpu_count()
    assert hypervisor["Memory MB"] == host_memory_mb()

    t0 = time.monotonic()
    print(f"[create --wait -> ACTIVE] {boot(guide, 'demo'):.1f} s")
    guide.wait_banner("demo", 1)
    _, ip = guide.address("demo")
    assert f"{READY} ip={ip} " in guide.console("demo")
    timed("create -> banner on the console", t0)

    blocked = guide.ssh("demo", "uname -a")
    assert blocked.returncode != 0, "SSH worked before the security group allowed it"
    guide.os("security", "group", "rule", "create", "--proto", "tcp", "--dst-port", "22", "default")
    assert guide.run("demo", "uname -a").startswith("Linux demo ")
    timed("create -> SSH", t0)


def test_stratus_ssh_picks_namespace_address_and_key(guide: Guide) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "stratus"), "ssh", "-i", str(guide.key), "demo", "uname", "-a"],
        env=guide.env,
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert done.returncode == 0 and done.stdout.startswith("Linux demo "), done


def test_stop_start_reboots_pause_and_suspend(guide: Guide) -> None:
    uuid = guide.uuid("demo")
    pid = guide.pid(uuid)
    assert pid is not None

    t = time.monotonic()
    guide.os("server", "stop", "demo", fmt=False)
    # NOTE: stop gives the guest 60 s to obey ACPI before killing QEMU, and every poll here is
    # a whole `openstack server show` run (seconds on a loaded machine).
    guide.wait("demo", "SHUTOFF", 180)
    assert gone(pid, uuid) and guide.pid(uuid) is None
    assert guide.server("demo")["OS-EXT-STS:power_state"] == states.SHUTDOWN
    timed("stop -> SHUTOFF, QEMU gone", t)
    t = time.monotonic()
    guide.os("server", "start", "demo", fmt=False)
    guide.wait("demo", "ACTIVE")
    guide.run("demo", "true")
    timed("start -> SSH", t)

    booted, pid = guide.banners("demo"), guide.pid(uuid)
    guide.os("server", "reboot", "--hard", "--wait", "demo", fmt=False)
    guide.wait_banner("demo", booted + 1)
    assert guide.pid(uuid) == pid  # a reset of the same QEMU
    guide.os("server", "reboot", "--wait", "demo", fmt=False)
    guide.wait_banner("demo", booted + 2)
    assert "stratus-guest: shutting down" in guide.console("demo")  # ACPI was obeyed
    guide.run("demo", "true")

    guide.os("server", "pause", "demo", fmt=False)
    guide.wait("demo", "PAUSED", 60)
    assert guide.server("demo")["OS-EXT-STS:power_state"] == states.PAUSED_POWER
    guide.os("server", "unpause", "demo", fmt=False)
    guide.wait("demo", "ACTIVE", 60)

    uptime = float(guide.run("demo", "cut -d' ' -f1 /proc/uptime"))
    booted = guide.banners("demo")
    guide.os("server", "suspend", "demo", fmt=False)
    guide.wait("demo", "SUSPENDED", 120)
    assert guide.pid(uuid) is None
    guide.os("server", "resume", "demo", fmt=False)
    guide.wait("demo", "ACTIVE", 120)
    assert float(guide.run("demo", "cut -d' ' -f1 /proc/uptime")) > uptime  # same memory
    assert guide.banners("demo") == booted  # resumed, not booted again


def test_resize_confirm_then_resize_revert(guide: Guide) -> None:
    before = guide.mem_kb("demo")
    guide.run("demo", "echo kept > /data/kept && sync")

    t = time.monotonic()
    guide.os("server", "resize", "--flavor", "m1.micro", "--wait", "demo", fmt=False)
    assert flavor_of(guide.wait("demo", "VERIFY_RESIZE")) == "m1.micro"
    guide.os("server", "resize", "confirm", "demo", fmt=False)
    guide.wait("demo", "ACTIVE")
    resized = guide.mem_kb("demo")
    timed("resize + confirm -> SSH", t)
    assert resized > before + 100 * 1024, (before, resized)  # 128 -> 256 MiB
    assert resized <= 256 * 1024
    assert guide.run("demo", "cat /data/kept") == "kept"
    assert guide.run("demo", "nproc") == "1"

    guide.os("server", "resize", "--flavor", "m1.mini", "--wait", "demo", fmt=False)
    guide.wait("demo", "VERIFY_RESIZE")
    assert guide.run("demo", "nproc") == "2"
    assert guide.mem_kb("demo") > resized + 100 * 1024  # 384 MiB
    guide.run("demo", "echo new > /data/after-resize && sync")
    t = time.monotonic()
    guide.os("server", "resize", "revert", "demo", fmt=False)
    server = guide.wait("demo", "ACTIVE")
    assert flavor_of(server) == "m1.micro", server["flavor"]
    assert guide.run("demo", "nproc") == "1"
    assert abs(guide.mem_kb("demo") - resized) < 16 * 1024
    assert guide.run("demo", "cat /data/kept") == "kept"  # the old disk, as it was
    assert guide.run("demo", "test -e /data/after-resize || echo absent") == "absent"
    timed("resize + revert -> SSH", t)


def test_snapshot_boots_a_second_server_with_the_file(guide: Guide) -> None:
    guide.run("demo", "echo from-demo > /data/snapped && sync")
    t = time.monotonic()
    guide.os("server", "image", "create", "--name", "demo-snap", "--wait", "demo")
    timed("snapshot", t)
    snap = guide.os("image", "show", "demo-snap")
    assert (snap["status"], snap["min_disk"]) == ("active", 2)  # demo's root disk (m1.micro)
    refused = openstack(
        guide.env, "server", "create", "--flavor", "m1.nano", "--image", "demo-snap",
        "--nic", "none", "too-small", check=False,
    )  # fmt: skip
    assert "Flavor's disk is too small for requested image" in refused.stderr
    boot(guide, "demo2", image="demo-snap", flavor="m1.micro")
    assert guide.run("demo2", "cat /data/snapped") == "from-demo"
    timed("snapshot -> second server answers", t)
    assert guide.status("demo") == "ACTIVE"


def test_delete_leaves_nothing_behind(guide: Guide, up: RunningCloud) -> None:
    ns, _ = guide.address("demo")
    net_id = ns.removeprefix("qdhcp-")
    left: dict[str, dict[str, Any]] = {}
    for name in ("demo", "demo2"):
        uuid = guide.uuid(name)
        [port] = guide.os("port", "list", "--server", uuid)
        left[name] = {
            "uuid": uuid,
            "pid": guide.pid(uuid),
            "tap": "tap" + port["ID"][:11],
            "mac": port["MAC Address"],
        }
        assert left[name]["pid"] is not None
        assert _link_exists(ns, left[name]["tap"])
    hosts = runtime_dir(up.data_dir) / net_id / "hosts"
    leases = runtime_dir(up.data_dir) / net_id / "leases"
    assert all(v["mac"] in hosts.read_text() for v in left.values())
    assert all(v["mac"] in leases.read_text() for v in left.values())  # the guests took them

    guide.os("server", "delete", "--wait", "demo", "demo2", fmt=False)
    assert guide.os("server", "list") == []
    for name, v in left.items():
        assert gone(v["pid"], v["uuid"]), f"QEMU of {name} still runs"
        assert not _link_exists(ns, v["tap"]), f"tap of {name} left"
        assert not (guide.instances / v["uuid"]).exists(), f"files of {name} left"
        assert not (guide.run_dir / v["uuid"]).exists(), f"sockets of {name} left"
        dhcp = hosts.read_text() if hosts.exists() else ""
        assert v["mac"] not in dhcp, f"DHCP entry of {name} left"
        assert v["mac"] not in leases.read_text(), f"DHCP lease of {name} left"
    assert guide.os("port", "list", "--network", net_id, "--device-owner", "compute:nova") == []


def test_a_new_server_on_a_freed_address_gets_it_by_dhcp(guide: Guide) -> None:
    """The addresses of deleted servers are handed out again (lowest free first): the new
    guest must get its address although a guest with another MAC held a lease on it."""
    boot(guide, "demo3")
    guide.wait_banner("demo3", 1)
    _, ip = guide.address("demo3")
    assert f"{READY} ip={ip} " in guide.console("demo3")
    guide.os("server", "delete", "--wait", "demo3", fmt=False)


def _link_exists(ns: str, dev: str) -> bool:
    return (
        subprocess.run(["ip", "-n", ns, "link", "show", dev], capture_output=True).returncode == 0
    )


# ---------------------------------------------------------------------- part 2: agent restarts


@pytest.fixture
def procs(tmp_path: Path, rabbit_url: str, postgres_database: str) -> Iterator[Processes]:
    p = Processes(tmp_path, rabbit_url, postgres_database)
    p.env.update(qemu_env(), STRATUS_VNC__NOVNCPROXY_PORT=str(free_port()))
    try:
        yield p
    finally:
        p.stop_all()
        clean_host(p.data)


def qemu_status(run_dir: Path, uuid: str) -> str:
    with QMPClient(run_dir / uuid / "qmp.sock") as qmp:
        return qmp.status()


@pytest.mark.rabbit
@pytest.mark.postgres
def test_guests_outlive_their_agent_and_a_killed_qemu_shows_shutoff(procs: Processes) -> None:
    p = procs
    printed = start_qemu_plane(p)
    assert "registered: image cirros" in printed
    env = {**p.env, **read_openrc(p.data / "admin-openrc")}
    guide = Guide(env, p.data, p.data / "unused-key")
    guide.os("flavor", "create", "--vcpus", "1", "--ram", "128", "--disk", "1", "m1.nano")
    until(lambda: guide.os("compute", "service", "list", "--service", "stratus-compute"), 60,
          "the agent's service record")  # fmt: skip
    net = guide.os("network", "show", "private")["id"]
    t = time.monotonic()
    guide.os(
        "server", "create", "--flavor", "m1.nano", "--image", "cirros", "--nic", f"net-id={net}",
        "--min", "3", "--max", "3", "vm", "--wait",
    )  # fmt: skip
    names = ["vm-1", "vm-2", "vm-3"]
    for name in names:
        guide.wait(name, "ACTIVE")
        guide.wait_banner(name, 1)
    timed("3 guests booted", t)
    uuids = {name: guide.uuid(name) for name in names}
    pids = {name: guide.pid(uuid) for name, uuid in uuids.items()}
    assert all(pids.values()), pids

    p.procs["agent"].send_signal(signal.SIGKILL)
    p.procs["agent"].wait(scaled(30))
    time.sleep(2 * SYNC_INTERVAL)
    for name, uuid in uuids.items():
        assert guide.pid(uuid) == pids[name], f"{name} stopped with its agent"
        assert qemu_status(guide.run_dir, uuid) == "running"
        assert guide.status(name) == "ACTIVE"

    t = time.monotonic()
    p.start("agent", "compute", "--host", "cmp1", "--virt", "qemu")
    until(lambda: "compute agent cmp1 started" in p.log("agent"), 120, "the agent's restart")
    time.sleep(2 * SYNC_INTERVAL)  # a power sync has run: nothing changed
    for name, uuid in uuids.items():
        server = guide.server(name)
        assert (server["status"], server["OS-EXT-STS:power_state"]) == ("ACTIVE", states.RUNNING)
        assert guide.pid(uuid) == pids[name]
    guide.os("server", "stop", "vm-1", fmt=False)
    guide.wait("vm-1", "SHUTOFF", 180)
    assert gone(pids["vm-1"], uuids["vm-1"])
    timed("agent restarted, vm-1 stopped", t)

    t = time.monotonic()
    os.kill(pids["vm-2"], signal.SIGKILL)
    # NOTE: the sync notices within SYNC_INTERVAL; the deadline is for the polling itself, each
    # poll a whole `openstack server show` run (seconds on a loaded machine).
    guide.wait("vm-2", "SHUTOFF", 120)
    timed(f"kill -9 QEMU -> SHUTOFF (sync every {SYNC_INTERVAL} s)", t)
    assert guide.status("vm-3") == "ACTIVE"

    guide.os("server", "delete", "--wait", *names, fmt=False)
    for name, uuid in uuids.items():
        assert gone(pids[name], uuid) and not (guide.instances / uuid).exists()
