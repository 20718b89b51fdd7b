"""The flat DHCP dataplane and security groups for real: QEMU guests, dnsmasq, nftables.

An in-process cloud (every API, conductor, scheduler, one compute agent with the qemu driver and
the ``linuxbridge`` backend) on its own SQLite file. Two test guests (tools/build-test-image.sh)
boot once on a network of the demo project with only the ``default`` security group, and are
reused by every test here, in order (a third one, with a port on each of two other networks,
shows that an instance's taps may live in several namespaces):

* each guest gets its port's fixed IP from dnsmasq (its boot banner says so), and the network's
  namespace ``qdhcp-<network id>`` holds the bridge, the gateway, the taps and dnsmasq;
* from the namespace, ping and SSH (port 22) to a guest time out: ``default`` admits only members
  of the group;
* rules for ICMP and TCP 22 added through the network API reach the dataplane by the bus fanout
  (the periodic resync is set to an hour, so it cannot be what applied them): ping and SSH work,
  and from inside one guest the other answers (same group);
* removing the rules blocks again;
* deleting an instance removes its tap, its nftables chains and its DHCP entry; deleting the
  network removes the namespace and its dnsmasq.

Everything this module creates (guests, namespaces, dnsmasq, files) is removed at the end, also
when a test fails. Run with ``-s`` to see the timings.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.api import deploy
from stratus.cmd.compute import ComputeService
from stratus.messaging.inproc import InProcBus
from stratus.network import backend as network_backend
from stratus.network.backends.linuxbridge import namespace
from stratus.virt.qemu.driver import QemuDriver
from tests.e2e.guest_lab import build_test_image, ensure_lab_tools, needs_qemu
from tests.fixtures.cloud import Cloud, make_config
from tests.fixtures.waiting import scaled, wait_until

pytestmark = [pytest.mark.e2e, needs_qemu]

MV = {"OpenStack-API-Version": "compute 2.79"}
BOOT_TIMEOUT = 240.0
READY = "STRATUS-GUEST-READY ip="
CIDR = "10.77.0.0/24"
GATEWAY = "10.77.0.1"
SSH_OPTS = [
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
]  # fmt: skip


def eventually(what: str, check: Callable[[], bool], timeout: float = 60.0) -> float:
    """Poll ``check`` until it holds (``timeout`` in reference seconds); returns the seconds
    it took."""
    start = time.monotonic()
    # NOTE: every check here runs a command in the namespace; one that outlives its own limit
    # (a TCG guest slow to answer) is "not yet", not a failure.
    wait_until(check, timeout, what, step=0.3, retry_on=(subprocess.TimeoutExpired,))
    return time.monotonic() - start


class World:
    """The cloud, the demo project's network and the two guests (``a``, ``b``)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        cfg = make_config(
            workdir / "state",
            f"sqlite:///{workdir / 'stratus.sqlite'}",
            compute={"virt_driver": "qemu", "virt_type": "qemu"},
            network={"backend": "linuxbridge", "resync_interval": 3600},
        )
        self.db = deploy.open_database(cfg)
        deploy.prepare(cfg, db=self.db)
        self.bus = InProcBus(f"memory://dataplane-{uuid.uuid4().hex}")
        self.cloud = Cloud(cfg, self.db, self.bus)
        self.runtime = network_backend.runtime_dir(cfg.state_path)
        self.network_ids: list[str] = []
        self.servers: dict[str, dict[str, Any]] = {}
        self.key = workdir / "id_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True
        )

    # -- API helpers ---------------------------------------------------------------------------
    def call(self, api: str, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
        client = getattr(self.cloud, api)
        r = client.request(method, path, headers={**headers, **MV}, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    @property
    def demo(self) -> dict[str, str]:
        if not hasattr(self, "_demo"):
            self._demo = self.cloud.demo_headers()
        return self._demo

    def setup(self, image_dir: Path) -> None:
        admin = self.cloud.admin_headers()
        image = self.call("image", "POST", "/v2/images", admin, json={
            "name": "cirros", "disk_format": "qcow2", "container_format": "bare",
            "visibility": "public",
        })  # fmt: skip
        self.cloud.image.put(
            f"/v2/images/{image['id']}/file",
            content=(image_dir / "cirros.qcow2").read_bytes(),
            headers={**admin, "Content-Type": "application/octet-stream"},
        )
        self.call("compute", "POST", "/v2.1/flavors", admin, json={"flavor": {
            "name": "dp.small", "id": "dp-small", "ram": 128, "vcpus": 1, "disk": 1,
        }})  # fmt: skip
        public_key = self.key.with_suffix(".pub").read_text().strip()
        body = {"keypair": {"name": "dpkey", "public_key": public_key}}
        self.call("compute", "POST", "/v2.1/os-keypairs", self.demo, json=body)
        self.net_id = self.create_network("dp", CIDR)
        self.cloud.start_control_plane(hosts=("dp1",), virt="qemu")
        self.image_id = image["id"]
        for name in ("a", "b"):
            self.boot(name, [self.net_id])
        # c: one port on each of two other networks (two namespaces)
        self.boot(
            "c",
            [
                self.create_network("dp2", "10.78.0.0/24"),
                self.create_network("dp3", "10.79.0.0/24"),
            ],
        )

    def create_network(self, name: str, cidr: str) -> str:
        made = self.call(
            "network", "POST", "/v2.0/networks", self.demo, json={"network": {"name": name}}
        )
        network_id = str(made["network"]["id"])
        self.network_ids.append(network_id)
        self.call("network", "POST", "/v2.0/subnets", self.demo, json={"subnet": {
            "network_id": network_id, "cidr": cidr, "ip_version": 4, "name": name,
        }})  # fmt: skip
        return network_id

    def boot(self, name: str, network_ids: list[str]) -> None:
        server = self.call("compute", "POST", "/v2.1/servers", self.demo, json={"server": {
            "name": name, "imageRef": self.image_id, "flavorRef": "dp-small",
            "key_name": "dpkey", "networks": [{"uuid": n} for n in network_ids],
            "security_groups": [{"name": "default"}],
        }})["server"]  # fmt: skip
        self.servers[name] = {"id": server["id"], "networks": network_ids}

    @property
    def agent(self) -> ComputeService:
        [agent] = [s for s in self.cloud.services if isinstance(s, ComputeService)]
        return agent

    @property
    def driver(self) -> QemuDriver:
        driver = self.agent.env.driver
        assert isinstance(driver, QemuDriver)
        return driver

    @property
    def ns(self) -> str:
        return namespace.namespace_name(self.net_id)

    def server(self, name: str) -> dict[str, Any]:
        sid = self.servers[name]["id"]
        return dict(self.call("compute", "GET", f"/v2.1/servers/{sid}", self.demo)["server"])

    def console(self, name: str) -> str:
        sid = self.servers[name]["id"]
        body = {"os-getConsoleOutput": {"length": None}}
        out = self.call("compute", "POST", f"/v2.1/servers/{sid}/action", self.demo, json=body)
        return str(out["output"])

    def default_group(self) -> str:
        found = self.call("network", "GET", "/v2.0/security-groups?name=default", self.demo)
        return str(found["security_groups"][0]["id"])

    def add_rule(self, **attrs: Any) -> str:
        body = {"security_group_rule": {"security_group_id": self.default_group(), **attrs}}
        made = self.call("network", "POST", "/v2.0/security-group-rules", self.demo, json=body)
        return str(made["security_group_rule"]["id"])

    # -- the namespace's view ----------------------------------------------------------------
    def in_ns(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the network's namespace (``timeout`` in reference seconds)."""
        return subprocess.run(
            namespace.exec_argv(self.ns, *argv),
            capture_output=True,
            text=True,
            timeout=scaled(timeout),
        )

    def ping(self, ip: str) -> bool:
        return self.in_ns("busybox", "ping", "-c", "1", "-W", "2", ip).returncode == 0

    def ssh(self, ip: str, *command: str) -> subprocess.CompletedProcess[str]:
        return self.in_ns("ssh", "-i", str(self.key), *SSH_OPTS, f"cirros@{ip}", *command)

    def ssh_ok(self, ip: str, *command: str) -> subprocess.CompletedProcess[str]:
        """``ssh`` until it exits 0: one try against a TCG guest may be slow or time out."""
        last: list[subprocess.CompletedProcess[str]] = []

        def attempt() -> subprocess.CompletedProcess[str] | None:
            last[:] = [self.ssh(ip, *command)]
            return last[0] if last[0].returncode == 0 else None

        try:
            return wait_until(
                attempt,
                60,
                f"ssh {ip} {' '.join(command)}",
                step=1,
                retry_on=(subprocess.TimeoutExpired,),
            )
        except AssertionError as exc:
            detail = last[0].stderr.strip() if last else "no answer"
            raise AssertionError(f"{exc}: {detail}") from None

    def tcp(self, ip: str, port: int = 22, hello: str = "SSH-2.0-stratus-probe") -> str:
        """What the guest says on ``port`` after ``hello`` (dropbear speaks after the client),
        ``timeout`` when nothing answered within 3 s, scaled (a dropped SYN), or the error."""
        script = (
            "import socket\n"
            "try:\n"
            f"    s = socket.create_connection(('{ip}', {port}), timeout={scaled(3)})\n"
            f"    s.sendall(b'{hello}\\r\\n')\n"
            "    print(s.recv(64).decode(errors='replace'))\n"
            "except TimeoutError:\n"
            "    print('timeout')\n"
            "except OSError as exc:\n"
            "    print(exc)\n"
        )
        return self.in_ns(sys.executable, "-c", script).stdout.strip()

    def nft(self) -> str:
        return self.in_ns("nft", "list", "ruleset").stdout

    def hosts_file(self) -> str:
        path = self.runtime / self.net_id / "hosts"
        return path.read_text() if path.exists() else ""

    def hosts_reads(self) -> int:
        """How often dnsmasq has read its hosts file (its log says "read <file>")."""
        d = self.runtime / self.net_id
        return (d / "dnsmasq.log").read_text().count(f"read {d / 'hosts'}")

    def taps(self) -> list[str]:
        out = self.in_ns("ip", "-o", "link", "show").stdout
        return sorted(
            line.split(": ")[1].split("@")[0] for line in out.splitlines() if ": tap" in line
        )

    def close(self) -> None:
        """Remove everything, whatever state the tests left it in."""
        driver = None
        with contextlib.suppress(Exception):
            driver = self.driver
        self.cloud.stop_control_plane()
        if driver is not None:
            for uuid_ in driver.list_instance_uuids():
                with contextlib.suppress(Exception):
                    driver.runtime.kill(driver._dir(uuid_), uuid_)
        cleaner = network_backend.load("linuxbridge", self.runtime)
        for network_id in self.network_ids:
            cleaner.teardown_network(network_id)
            namespace.delete(namespace.namespace_name(network_id))
        shutil.rmtree(self.runtime, ignore_errors=True)
        self.cloud.http_transport.close()
        for client in self.cloud.clients.values():
            client.close()
        self.bus.close()
        self.db.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    ensure_lab_tools()
    image_dir = build_test_image()
    w = World(tmp_path_factory.mktemp("dataplane"))
    try:
        started = time.monotonic()
        w.setup(image_dir)
        for name in w.servers:
            w.servers[name]["ip"] = _wait_ready(w, name)
        print(
            f"\nthree guests booted and got their addresses in {time.monotonic() - started:.1f} s"
        )
        yield w
    finally:
        w.close()


def _wait_ready(w: World, name: str) -> str:
    def ready() -> dict[str, Any] | None:
        server = w.server(name)
        assert server["status"] != "ERROR", server.get("fault")
        if server["status"] == "ACTIVE" and READY in w.console(name):
            return server
        return None

    try:
        server = wait_until(ready, BOOT_TIMEOUT, f"{name} to boot", step=1)
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{w.console(name)[-2000:]}") from None
    first = next(iter(server["addresses"]))  # NOTE: the guest configures eth0 only
    (fixed,) = [a["addr"] for a in server["addresses"][first]]
    return str(fixed)


def test_guests_get_their_fixed_ips_by_dhcp(world: World) -> None:
    for name in ("a", "b"):
        ip = world.servers[name]["ip"]
        assert f"{READY}{ip} " in world.console(name)  # the banner shows the DHCP lease
        assert "keys: 1" in world.console(name)  # its key came from the metadata service
    port_macs = {
        p["mac_address"]
        for p in world.call("network", "GET", f"/v2.0/ports?network_id={world.net_id}", world.demo)[
            "ports"
        ]
    }
    lines = world.hosts_file().splitlines()
    assert {line.split(",")[0] for line in lines} == port_macs
    assert {line.split(",")[1] for line in lines} == {world.servers[n]["ip"] for n in ("a", "b")}
    bridge = world.in_ns("ip", "-o", "addr", "show").stdout
    assert f"{GATEWAY}/24" in bridge and "169.254.169.254/32" in bridge
    assert len(world.taps()) == 2
    dnsmasq = [
        p for p in namespace.pids(world.ns)
        if Path(f"/proc/{p}/comm").read_text().strip() == "dnsmasq"
    ]  # fmt: skip
    assert len(dnsmasq) == 1
    # QEMU runs in the host's namespace; only its taps are in qdhcp-* (opened there, fd passed)
    host_ns = Path("/proc/self/ns/net").stat().st_ino
    for name in ("a", "b"):
        sid = world.servers[name]["id"]
        pid = world.driver.runtime.pid(world.driver._dir(sid), sid)
        assert pid is not None and Path(f"/proc/{pid}/ns/net").stat().st_ino == host_ns


def test_default_group_blocks_ping_and_ssh_from_the_namespace(world: World) -> None:
    a, b = world.servers["a"]["ip"], world.servers["b"]["ip"]
    assert not world.ping(a) and not world.ping(b)
    assert world.tcp(a) == "timeout"  # dropped, not refused: nothing answers
    assert world.ssh(a, "true").returncode != 0


def test_rules_added_through_the_api_reach_the_dataplane(world: World) -> None:
    a, b = world.servers["a"]["ip"], world.servers["b"]["ip"]
    world.servers["rules"] = [
        world.add_rule(direction="ingress", protocol="icmp"),
        world.add_rule(direction="ingress", protocol="tcp", port_range_min=22, port_range_max=22),
    ]
    took = eventually("ping after the ICMP rule", lambda: world.ping(a))
    print(f"\nrule -> ping works: {took:.1f} s (by fanout; resync is hourly)")
    eventually("SSH after the TCP 22 rule", lambda: world.tcp(a).startswith("SSH-2.0-"))
    result = world.ssh_ok(a, "uname", "-a")
    assert "Linux" in result.stdout, result.stderr
    # guest to guest on a port no rule opens: default admits its members, not the namespace
    listen = "setsid sh -c 'echo member-ok | nc -l -p 5000' </dev/null >/dev/null 2>&1 &"
    world.ssh_ok(b, listen)
    assert world.tcp(b, 5000, "hello") == "timeout"
    eventually(
        "a reaches b's port 5000",
        lambda: "member-ok" in world.ssh(a, "nc", "-w", "3", b, "5000").stdout,
    )
    assert "tcp dport 22 accept" in world.nft()


def test_removing_the_rules_blocks_again(world: World) -> None:
    a = world.servers["a"]["ip"]
    for rule_id in world.servers.pop("rules"):
        world.call("network", "DELETE", f"/v2.0/security-group-rules/{rule_id}", world.demo)
    eventually("ping blocked after removing the rule", lambda: not world.ping(a))
    eventually("SSH blocked after removing the rule", lambda: world.tcp(a) == "timeout")


def test_an_instance_on_two_networks_has_a_tap_in_each_namespace(world: World) -> None:
    c = world.servers["c"]
    assert f"{READY}{c['ip']} " in world.console("c")  # DHCP on its first network
    sid = c["id"]
    pid = world.driver.runtime.pid(world.driver._dir(sid), sid)
    assert pid is not None
    argv = _cmdline(pid)
    assert argv.count("-netdev tap,") == 2 and "ifname=" not in argv  # both as open fds
    for network_id in c["networks"]:
        ns = namespace.namespace_name(network_id)
        links = subprocess.run(
            ["ip", "-n", ns, "-o", "link", "show"], capture_output=True, text=True, check=True
        ).stdout
        assert links.count(": tap") == 1, links
    world.cloud.compute.delete(f"/v2.1/servers/{sid}", headers=world.demo)
    eventually(
        "server c deleted",
        lambda: (
            world.cloud.compute.get(f"/v2.1/servers/{sid}", headers=world.demo).status_code == 404
        ),
        timeout=120,
    )
    for network_id in c["networks"]:
        world.call("network", "DELETE", f"/v2.0/networks/{network_id}", world.demo)
    for network_id in c["networks"]:
        gone = namespace.namespace_name(network_id)
        eventually(f"{gone} removed", lambda gone=gone: not namespace.exists(gone))


def test_deleting_an_instance_removes_its_tap_chains_and_dhcp_entry(world: World) -> None:
    sid = world.servers["b"]["id"]
    (port,) = world.call("network", "GET", f"/v2.0/ports?device_id={sid}", world.demo)["ports"]
    mac, port_id = port["mac_address"], port["id"]
    tap = f"tap{port_id[:11]}"
    assert tap in world.taps() and f"in-{port_id}" in world.nft() and mac in world.hosts_file()
    reads = world.hosts_reads()
    world.cloud.compute.delete(f"/v2.1/servers/{sid}", headers=world.demo)
    eventually(
        "server b deleted",
        lambda: (
            world.cloud.compute.get(f"/v2.1/servers/{sid}", headers=world.demo).status_code == 404
        ),
        timeout=120,
    )
    assert tap not in world.taps()
    assert port_id not in world.nft()
    assert mac not in world.hosts_file()
    # dnsmasq (unprivileged after its start) re-read the file on SIGHUP
    eventually("dnsmasq reloaded its hosts", lambda: world.hosts_reads() > reads)
    assert world.driver.runtime.pid(world.driver._dir(sid), sid) is None


def test_deleting_the_network_removes_the_namespace(world: World) -> None:
    sid = world.servers["a"]["id"]
    world.cloud.compute.delete(f"/v2.1/servers/{sid}", headers=world.demo)
    eventually(
        "server a deleted",
        lambda: (
            world.cloud.compute.get(f"/v2.1/servers/{sid}", headers=world.demo).status_code == 404
        ),
        timeout=120,
    )
    assert world.taps() == []
    assert namespace.exists(world.ns)  # NOTE: kept without ports, like Neutron's DHCP namespace
    world.call("network", "DELETE", f"/v2.0/networks/{world.net_id}", world.demo)
    eventually("namespace removed", lambda: not namespace.exists(world.ns))
    assert not (world.runtime / world.net_id).exists()
    assert not any("dnsmasq" in _cmdline(p) and world.net_id in _cmdline(p) for p in _all_pids())


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
