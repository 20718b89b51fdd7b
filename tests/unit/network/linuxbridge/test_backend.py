"""``LinuxBridgeBackend`` with a recording command runner: which commands, which files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from stratus.network.backend import DataplaneError
from stratus.network.backends.linuxbridge.backend import LinuxBridgeBackend
from stratus.objects.network import VIF, DhcpSubnet, FixedIP, NetworkDataplane, SecurityRule

NET = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
NS = f"qdhcp-{NET}"


class Runner:
    def __init__(self) -> None:
        self.commands: list[list[str]] = []
        self.scripts: list[str] = []

    def __call__(self, argv: Sequence[str], *, stdin: str | None = None) -> str:
        self.commands.append(list(argv))
        if stdin is not None:
            self.scripts.append(stdin)
        return "[]" if "-j" in argv else ""


def port(port_id: str, address: str) -> VIF:
    return VIF(
        port_id=port_id,
        network_id=NET,
        mac_address=f"fa:16:3e:00:00:{address.rsplit('.', 1)[1]:0>2}",
        fixed_ips=[FixedIP(address=address, subnet_id="s4", cidr="10.0.0.0/24")],
    )


def network(*ports: VIF) -> NetworkDataplane:
    subnet = DhcpSubnet(id="s4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1")
    return NetworkDataplane(id=NET, mtu=1450, subnets=[subnet], ports=list(ports))


@pytest.fixture
def runner() -> Runner:
    return Runner()


@pytest.fixture
def lb(tmp_path: Path, runner: Runner) -> LinuxBridgeBackend:
    return LinuxBridgeBackend(tmp_path / "dataplane", runner=runner)


def test_setup_builds_namespace_bridge_addresses_dhcp_and_rules(
    lb: LinuxBridgeBackend, runner: Runner
) -> None:
    lb.setup_network(network(port("p1", "10.0.0.5")))
    commands = [" ".join(c) for c in runner.commands]
    assert f"ip netns add {NS}" in commands
    assert f"ip -n {NS} link add brq0f1e2d3c-4b type bridge" in commands
    assert f"ip -n {NS} link set brq0f1e2d3c-4b mtu 1450 up" in commands
    assert f"ip -n {NS} addr replace 10.0.0.1/24 dev brq0f1e2d3c-4b" in commands
    assert f"ip -n {NS} addr replace 169.254.169.254/32 dev brq0f1e2d3c-4b" in commands
    assert any(c.startswith(f"ip netns exec {NS} dnsmasq ") for c in commands)
    assert any(c == f"ip netns exec {NS} nft -f -" for c in commands)
    d = lb.state_dir / NET  # type: ignore[operator]
    assert (d / "hosts").read_text() == "fa:16:3e:00:00:05,10.0.0.5,host-10-0-0-5\n"
    assert lb.host_network_ids() == [NET]


def test_rules_are_loaded_per_port_and_only_when_they_change(
    lb: LinuxBridgeBackend, runner: Runner
) -> None:
    p1 = port("p1", "10.0.0.5")
    lb.setup_network(network(p1))
    loaded = len(runner.scripts)
    rule = SecurityRule(id="r", security_group_id="g", direction="ingress", protocol="icmp")
    lb.apply_security_groups(p1, [rule])
    assert len(runner.scripts) == loaded + 1
    assert "meta nfproto ipv4 meta l4proto 1 accept" in runner.scripts[-1]
    lb.apply_security_groups(p1, [rule])  # the same again: nothing to load
    assert len(runner.scripts) == loaded + 1


def test_unplug_forgets_the_port_without_asking_anyone(
    lb: LinuxBridgeBackend, runner: Runner
) -> None:
    p1, p2 = port("p1", "10.0.0.5"), port("p2", "10.0.0.6")
    lb.setup_network(network(p1, p2))
    lb.apply_security_groups(p1, [])
    lb.apply_security_groups(p2, [])
    lb.unplug("h1", p1)
    d = lb.state_dir / NET  # type: ignore[operator]
    assert (d / "hosts").read_text() == "fa:16:3e:00:00:06,10.0.0.6,host-10-0-0-6\n"
    assert not (d / "ports" / "p1.json").exists()
    assert "jump in-p1" not in runner.scripts[-1] and "jump in-p2" in runner.scripts[-1]
    lb.unplug("h1", p1)  # idempotent


def test_setup_prunes_ports_no_longer_bound_here(lb: LinuxBridgeBackend, runner: Runner) -> None:
    p1, p2 = port("p1", "10.0.0.5"), port("p2", "10.0.0.6")
    lb.setup_network(network(p1, p2))
    lb.apply_security_groups(p1, [])
    lb.apply_security_groups(p2, [])
    lb.setup_network(network(p2))
    assert "jump in-p1" not in runner.scripts[-1] and "jump in-p2" in runner.scripts[-1]


def test_ports_of_networks_not_set_up_here_are_ignored(
    lb: LinuxBridgeBackend, runner: Runner
) -> None:
    lb.apply_security_groups(port("p1", "10.0.0.5"), [])
    lb.unplug("h1", port("p1", "10.0.0.5"))
    lb.teardown_network(NET)
    assert runner.commands == []


def test_teardown_removes_only_what_this_backend_made(
    lb: LinuxBridgeBackend, runner: Runner
) -> None:
    lb.setup_network(network())
    lb.teardown_network(NET)
    assert lb.host_network_ids() == []
    assert not (lb.state_dir / NET).exists()  # type: ignore[operator]


def test_without_a_state_directory_setup_is_refused(runner: Runner) -> None:
    with pytest.raises(DataplaneError, match="no state directory"):
        LinuxBridgeBackend(runner=runner).setup_network(network())
