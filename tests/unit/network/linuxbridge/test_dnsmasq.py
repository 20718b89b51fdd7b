"""dnsmasq's files and command line, rendered from a network's dataplane view."""

from __future__ import annotations

from pathlib import Path

from stratus.network.backends.linuxbridge import dnsmasq
from stratus.network.backends.linuxbridge.dnsmasq import Paths
from stratus.objects.network import VIF, DhcpSubnet, FixedIP, NetworkDataplane

V4 = DhcpSubnet(id="s4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1", dns_nameservers=["192.0.2.53"])
V6 = DhcpSubnet(id="s6", cidr="2001:db8::/64", ip_version=6, gateway_ip="2001:db8::1")


def port(port_id: str, mac: str, *addresses: tuple[str, str]) -> VIF:
    fixed = [FixedIP(address=a, subnet_id=s, cidr="x") for s, a in addresses]
    return VIF(port_id=port_id, network_id="n1", mac_address=mac, fixed_ips=fixed)


def network(*ports: VIF, subnets: list[DhcpSubnet] | None = None, **names: str) -> NetworkDataplane:
    return NetworkDataplane(
        id="n1", mtu=1450, subnets=subnets or [V4, V6], ports=list(ports), hostnames=names
    )


def test_hosts_file_has_one_line_per_ipv4_address_on_a_dhcp_subnet() -> None:
    net = network(
        port("p2", "FA:16:3E:00:00:02", ("s4", "10.0.0.6")),
        port("p1", "fa:16:3e:00:00:01", ("s4", "10.0.0.5"), ("s6", "2001:db8::5")),
        p1="Demo_VM.1",
    )
    assert dnsmasq.hosts_file(net) == (
        "fa:16:3e:00:00:01,10.0.0.5,demo-vm-1\nfa:16:3e:00:00:02,10.0.0.6,host-10-0-0-6\n"
    )


def test_hosts_file_skips_subnets_without_dhcp_and_renames_duplicates() -> None:
    no_dhcp = DhcpSubnet(id="s5", cidr="10.1.0.0/24", enable_dhcp=False)
    net = network(
        port("p1", "fa:16:3e:00:00:01", ("s4", "10.0.0.5"), ("s5", "10.1.0.5")),
        port("p2", "fa:16:3e:00:00:02", ("s4", "10.0.0.6")),
        subnets=[V4, no_dhcp],
        p1="web",
        p2="web",
    )
    assert dnsmasq.hosts_file(net).splitlines() == [
        "fa:16:3e:00:00:01,10.0.0.5,web",
        "fa:16:3e:00:00:02,10.0.0.6,host-10-0-0-6",
    ]


def test_hostnames_are_valid_labels() -> None:
    assert dnsmasq.hostname("My Server", "10.0.0.5") == "my-server"
    assert dnsmasq.hostname("---", "10.0.0.5") == "host-10-0-0-5"
    assert dnsmasq.hostname("1234", "10.0.0.5") == "host-10-0-0-5"
    assert len(dnsmasq.hostname("a" * 100, "10.0.0.5")) == 63


def test_options_route_metadata_and_default_via_the_gateway() -> None:
    routed = V4.model_copy(
        update={
            "host_routes": [
                {"destination": "172.16.0.0/12", "nexthop": "10.0.0.254"},
                {"destination": "2001:db8:1::/48", "nexthop": "2001:db8::fe"},
            ]
        }
    )
    lines = dnsmasq.opts_file(network(subnets=[routed, V6])).splitlines()
    routes = "169.254.169.254/32,10.0.0.1,172.16.0.0/12,10.0.0.254,0.0.0.0/0,10.0.0.1"
    assert lines == [
        "tag:subnet-s4,option:router,10.0.0.1",
        f"tag:subnet-s4,option:classless-static-route,{routes}",
        f"tag:subnet-s4,249,{routes}",
        "tag:subnet-s4,option:dns-server,192.0.2.53",
        "tag:subnet-s4,option:mtu,1450",
    ]


def test_without_a_gateway_metadata_is_on_link_and_there_is_no_router() -> None:
    bare = DhcpSubnet(id="s4", cidr="10.0.0.0/24")
    lines = dnsmasq.opts_file(network(subnets=[bare])).splitlines()
    assert lines[:2] == [
        "tag:subnet-s4,option:router",
        "tag:subnet-s4,option:classless-static-route,169.254.169.254/32,0.0.0.0",
    ]
    assert not any("dns-server" in line for line in lines)


def test_command_line_serves_dhcp_only_on_the_bridge(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    argv = dnsmasq.argv(paths, "brqn1", network())
    assert argv[0] == "dnsmasq"
    for flag in ("--port=0", "--bind-interfaces", "--interface=brqn1", "--conf-file=/dev/null"):
        assert flag in argv
    assert f"--dhcp-hostsfile={paths.hosts}" in argv
    assert f"--dhcp-optsfile={paths.opts}" in argv
    assert f"--pid-file={paths.pidfile}" in argv
    assert f"--dhcp-leasefile={paths.leases}" in argv
    ranges = [a for a in argv if a.startswith("--dhcp-range=")]
    assert ranges == ["--dhcp-range=set:subnet-s4,10.0.0.0,static,255.255.255.0,86400s"]


def test_pid_of_a_stale_or_foreign_pidfile_is_none(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    server = dnsmasq.Dnsmasq("qdhcp-n1", paths)
    assert server.pid() is None
    paths.pidfile.write_text("1\n")  # init: not a dnsmasq of ours
    assert server.pid() is None
    server.stop()  # nothing to stop: fine
    assert not paths.pidfile.exists()


def test_a_host_entry_that_goes_has_its_lease_released(tmp_path: Path) -> None:
    commands: list[str] = []

    def record(argv: list[str], **_: object) -> str:
        commands.append(" ".join(argv))
        return ""

    server = dnsmasq.Dnsmasq("qdhcp-n1", Paths(tmp_path), record)
    a = port("p1", "FA:16:3E:00:00:01", ("s4", "10.0.0.5"))
    b = port("p2", "fa:16:3e:00:00:02", ("s4", "10.0.0.6"))
    server.configure(network(a, b), "brq-n1")
    server.configure(network(a, b), "brq-n1")
    assert not [c for c in commands if "dhcp_release" in c]  # nothing went: nothing released

    server.configure(network(b), "brq-n1")
    released = [c for c in commands if "dhcp_release" in c]
    assert released == ["ip netns exec qdhcp-n1 dhcp_release brq-n1 10.0.0.5 fa:16:3e:00:00:01"]
    assert "10.0.0.5" not in Paths(tmp_path).hosts.read_text()
