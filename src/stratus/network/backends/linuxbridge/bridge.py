"""The network's Linux bridge inside its namespace: name, MTU, gateway and metadata addresses.

The bridge ``brq<network id[:11]>`` (Neutron's name) carries the gateway address of every subnet
that has one (``gateway_ip``/prefix length) and ``169.254.169.254/32`` for the metadata service.
Instances reach both on the bridge itself; nothing is forwarded anywhere else.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence

from stratus.network.backend import DataplaneError
from stratus.network.backends.linuxbridge.namespace import Runner, run
from stratus.objects.network import DhcpSubnet

PREFIX = "brq"
ID_CHARS = 11  # "brq" + 11 characters: 14, within IFNAMSIZ (15)
METADATA_ADDRESS = "169.254.169.254/32"


def bridge_name(network_id: str) -> str:
    return f"{PREFIX}{network_id[:ID_CHARS]}"


def addresses(subnets: Sequence[DhcpSubnet]) -> list[str]:
    """The bridge's addresses: each subnet's gateway with the subnet's prefix, then metadata."""
    found: list[str] = []
    for subnet in subnets:
        if not subnet.gateway_ip:
            continue
        prefix = ipaddress.ip_network(subnet.cidr, strict=False).prefixlen
        found.append(f"{ipaddress.ip_address(subnet.gateway_ip)}/{prefix}")
    found.append(METADATA_ADDRESS)
    return list(dict.fromkeys(found))


def ensure(ns: str, bridge: str, mtu: int, runner: Runner = run) -> None:
    """Create the bridge unless it exists; set its MTU and bring it up."""
    try:
        runner(["ip", "-n", ns, "link", "add", bridge, "type", "bridge"])
    except DataplaneError as exc:
        if "File exists" not in exc.message:
            raise
    runner(["ip", "-n", ns, "link", "set", bridge, "mtu", str(mtu), "up"])


def current_addresses(ns: str, bridge: str, runner: Runner = run) -> list[str]:
    """The global (non link-local) addresses on the bridge, as ``address/prefix``."""
    out = runner(["ip", "-n", ns, "-j", "addr", "show", "dev", bridge])
    found = []
    for link in json.loads(out or "[]"):
        for item in link.get("addr_info", []):
            if item.get("scope") == "link":
                continue
            found.append(f"{item['local']}/{item['prefixlen']}")
    return found


def sync_addresses(ns: str, bridge: str, wanted: Sequence[str], runner: Runner = run) -> None:
    """Make the bridge's addresses exactly ``wanted`` (link-local ones are left alone)."""
    have = current_addresses(ns, bridge, runner)
    for address in have:
        if address not in wanted:
            runner(["ip", "-n", ns, "addr", "del", address, "dev", bridge])
    for address in wanted:
        if address not in have:
            extra = ["nodad"] if ":" in address else []
            runner(["ip", "-n", ns, "addr", "replace", address, "dev", bridge, *extra])
