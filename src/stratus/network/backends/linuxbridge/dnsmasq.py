"""One dnsmasq per network namespace: DHCP with static host entries, no DNS.

The compute agent runs it (daemonized, so it survives agent restarts; found again by its
pidfile). What it serves comes from three files under the network's runtime directory, re-read
on ``SIGHUP`` when they change: ``hosts`` (``--dhcp-hostsfile``: one ``MAC,IP,hostname`` line
per fixed IPv4 address of each port bound to this host), ``opts`` (``--dhcp-optsfile``: per
subnet the router, classless static routes 121/249 for 169.254.169.254/32 and the default
route via the gateway plus the subnet's host routes, DNS servers if the subnet has any, MTU).
The command line (one static ``--dhcp-range`` per IPv4 subnet with DHCP enabled) changes only
with the subnets; then dnsmasq is restarted. When a host entry goes (its port was deleted or moved
away), its lease is released with ``dhcp_release`` (Debian ``dnsmasq-utils``), as Neutron does:
leases last a day, and without the release dnsmasq would refuse the address to the next port that
gets it ("not using configured address ... because it is leased to" the old MAC).

IPv6 subnets get their gateway on the bridge but no DHCPv6 or router advertisements yet.

The pure functions (``hosts_file``, ``opts_file``, ``argv``) are what the unit tests check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import logging
import os
import re
import signal
import time
from pathlib import Path

from stratus.network.backend import DataplaneError
from stratus.network.backends.linuxbridge.namespace import Runner, exec_argv, run
from stratus.objects.network import DhcpSubnet, NetworkDataplane

LOG = logging.getLogger(__name__)

LEASE_SECONDS = 86400  # Neutron's dhcp_lease_duration
METADATA_ROUTE = "169.254.169.254/32"
STOP_TIMEOUT = 5.0
_LABEL = re.compile(r"[^a-z0-9-]+")


@dataclasses.dataclass(frozen=True)
class Paths:
    """The files of one network's dnsmasq (all under ``root``)."""

    root: Path

    @property
    def hosts(self) -> Path:
        return self.root / "hosts"

    @property
    def opts(self) -> Path:
        return self.root / "opts"

    @property
    def leases(self) -> Path:
        return self.root / "leases"

    @property
    def pidfile(self) -> Path:
        return self.root / "dnsmasq.pid"

    @property
    def log(self) -> Path:
        return self.root / "dnsmasq.log"

    @property
    def cmdline(self) -> Path:
        return self.root / "dnsmasq.argv"


def tag(subnet_id: str) -> str:
    return f"subnet-{subnet_id}"


def dhcp_subnets(net: NetworkDataplane) -> list[DhcpSubnet]:
    """The subnets dnsmasq serves: IPv4 with DHCP enabled."""
    return [s for s in net.subnets if s.ip_version == 4 and s.enable_dhcp]


def hostname(name: str, address: str) -> str:
    """A valid host name (RFC 1123 label) from ``name``, else ``host-<address>`` (Neutron)."""
    label = _LABEL.sub("-", name.lower()).strip("-")[:63].strip("-")
    if label and not label.isdigit():
        return label
    return "host-" + address.replace(".", "-").replace(":", "-")


def hosts_file(net: NetworkDataplane) -> str:
    """``--dhcp-hostsfile``: ``MAC,IP,hostname`` per fixed IPv4 address on a DHCP subnet."""
    served = {s.id for s in dhcp_subnets(net)}
    used: set[str] = set()
    lines = []
    for port in sorted(net.ports, key=lambda p: p.port_id):
        for fixed in port.fixed_ips:
            if fixed.subnet_id not in served:
                continue
            name = hostname(net.hostnames.get(port.port_id, ""), fixed.address)
            if name in used:  # NOTE: two ports named alike: the second gets its address name
                name = hostname("", fixed.address)
            used.add(name)
            lines.append(f"{port.mac_address.lower()},{fixed.address},{name}\n")
    return "".join(lines)


def _routes(subnet: DhcpSubnet) -> list[str]:
    """Option 121 pairs: metadata, the subnet's host routes, then the default route.

    A client that gets option 121 ignores option 3 (RFC 3442), so the default route is in it.
    Without a gateway, metadata is on-link (router 0.0.0.0) and there is no default route.
    """
    via = subnet.gateway_ip or "0.0.0.0"
    pairs = [f"{METADATA_ROUTE},{via}"]
    for route in subnet.host_routes:
        destination, nexthop = route.get("destination"), route.get("nexthop")
        if not destination or not nexthop:
            continue
        net = ipaddress.ip_network(destination, strict=False)
        if net.version == 4 and str(net) not in (METADATA_ROUTE, "0.0.0.0/0"):
            pairs.append(f"{net},{nexthop}")
    if subnet.gateway_ip:
        pairs.append(f"0.0.0.0/0,{subnet.gateway_ip}")
    return pairs


def opts_file(net: NetworkDataplane) -> str:
    """``--dhcp-optsfile``: per subnet router, classless routes (121 and 249), DNS, MTU."""
    lines = []
    for subnet in dhcp_subnets(net):
        t = f"tag:{tag(subnet.id)}"
        if subnet.gateway_ip:
            lines.append(f"{t},option:router,{subnet.gateway_ip}")
        else:
            lines.append(f"{t},option:router")  # NOTE: empty: no router at all (Neutron)
        routes = ",".join(_routes(subnet))
        lines.append(f"{t},option:classless-static-route,{routes}")
        lines.append(f"{t},249,{routes}")
        dns = [d for d in subnet.dns_nameservers if ipaddress.ip_address(d).version == 4]
        if dns:
            lines.append(f"{t},option:dns-server,{','.join(dns)}")
        lines.append(f"{t},option:mtu,{net.mtu}")
    return "".join(line + "\n" for line in lines)


def dhcp_range(subnet: DhcpSubnet) -> str:
    net = ipaddress.ip_network(subnet.cidr, strict=False)
    return f"set:{tag(subnet.id)},{net.network_address},static,{net.netmask},{LEASE_SECONDS}s"


def argv(paths: Paths, bridge: str, net: NetworkDataplane) -> list[str]:
    """dnsmasq's command line (it daemonizes and writes its pidfile)."""
    args = [
        "dnsmasq",
        "--conf-file=/dev/null",
        "--no-hosts",
        "--no-resolv",
        "--port=0",
        "--bind-interfaces",
        f"--interface={bridge}",
        "--except-interface=lo",
        "--dhcp-authoritative",
        f"--pid-file={paths.pidfile}",
        f"--dhcp-hostsfile={paths.hosts}",
        f"--dhcp-optsfile={paths.opts}",
        f"--dhcp-leasefile={paths.leases}",
        f"--log-facility={paths.log}",
    ]
    args += [f"--dhcp-range={dhcp_range(s)}" for s in dhcp_subnets(net)]
    return args


def host_entries(text: str) -> set[tuple[str, str]]:
    """The ``(MAC, IP)`` pairs of a hosts file."""
    entries = set()
    for line in text.splitlines():
        fields = line.split(",")
        if len(fields) >= 2:
            entries.add((fields[0], fields[1]))
    return entries


def release_argv(bridge: str, mac: str, address: str) -> list[str]:
    """``dhcp_release``: tells the dnsmasq on ``bridge`` to drop the lease of ``address``."""
    return ["dhcp_release", bridge, address, mac]


def _write(path: Path, text: str) -> bool:
    """Write ``text`` atomically (mode 0644: dnsmasq re-reads it unprivileged); True if changed."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o644)
    tmp.replace(path)
    return True


class Dnsmasq:
    """The dnsmasq of one network namespace."""

    def __init__(self, ns: str, paths: Paths, runner: Runner = run) -> None:
        self.ns = ns
        self.paths = paths
        self._run = runner

    def pid(self) -> int | None:
        """Its pid while it runs (checked against ``/proc``: never another process)."""
        try:
            pid = int(self.paths.pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        args = cmdline.split(b"\0")
        if not args or not args[0].endswith(b"dnsmasq"):
            return None
        return pid if f"--pid-file={self.paths.pidfile}".encode() in args else None

    def configure(self, net: NetworkDataplane, bridge: str) -> None:
        """Write its files and make it serve them: start, reload (SIGHUP) or restart."""
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.paths.root.chmod(0o755)
        try:
            before = host_entries(self.paths.hosts.read_text())
        except FileNotFoundError:
            before = set()
        hosts = hosts_file(net)
        changed = _write(self.paths.hosts, hosts)
        changed = _write(self.paths.opts, opts_file(net)) or changed
        args = argv(self.paths, bridge, net)
        restart = _write(self.paths.cmdline, json.dumps(args))
        if not dhcp_subnets(net):
            self.stop()
            return
        pid = self.pid()
        if pid is not None and restart:
            self.stop()
            pid = None
        if pid is None:
            self._run(exec_argv(self.ns, *args))
            LOG.info("dnsmasq started in %s (pid %s)", self.ns, self.pid())
        elif changed:
            os.kill(pid, signal.SIGHUP)
        self._release(bridge, before - host_entries(hosts))

    def _release(self, bridge: str, gone: set[tuple[str, str]]) -> None:
        """Release the leases of host entries that went (best effort: logged when it fails)."""
        for mac, address in sorted(gone):
            try:
                self._run(exec_argv(self.ns, *release_argv(bridge, mac, address)))
            except DataplaneError as exc:
                LOG.warning("lease of %s (%s) in %s not released: %s", address, mac, self.ns, exc)
            else:
                LOG.info("lease of %s (%s) in %s released", address, mac, self.ns)

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL). Idempotent."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while self.pid() is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.pid() is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.paths.pidfile.unlink(missing_ok=True)
