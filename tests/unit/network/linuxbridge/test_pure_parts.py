"""Names, bridge addresses and the QEMU command-line rewrite of the tap-fd helper."""

from __future__ import annotations

from stratus.network.backends.linuxbridge import bridge, namespace, tapfds
from stratus.objects.network import DhcpSubnet

NET = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_namespace_and_bridge_names() -> None:
    assert namespace.namespace_name(NET) == f"qdhcp-{NET}"
    assert bridge.bridge_name(NET) == "brq0f1e2d3c-4b"
    assert len(bridge.bridge_name(NET)) <= 15


def test_bridge_addresses_are_gateways_and_metadata() -> None:
    subnets = [
        DhcpSubnet(id="a", cidr="10.0.0.0/24", gateway_ip="10.0.0.1"),
        DhcpSubnet(id="b", cidr="10.1.0.0/16"),  # no gateway
        DhcpSubnet(id="c", cidr="2001:db8::/64", ip_version=6, gateway_ip="2001:db8::1"),
    ]
    assert bridge.addresses(subnets) == ["10.0.0.1/24", "2001:db8::1/64", "169.254.169.254/32"]


def test_tapfds_rewrites_taps_to_file_descriptors() -> None:
    argv = [
        "qemu-system-x86_64", "-uuid", "u",
        "-netdev", "tap,id=net0,ifname=tapa,script=no,downscript=no,vhost=on",
        "-device", "virtio-net-pci,netdev=net0,mac=fa:16:3e:00:00:01",
        "-netdev", "tap,id=net1,ifname=tapb,script=no,downscript=no",
        "-append", "ifname=tapc",
    ]  # fmt: skip
    assert tapfds.taps_of(argv) == ["tapa", "tapb"]
    out = tapfds.rewrite(argv, {"tapa": 7, "tapb": 9})
    assert out[4] == "tap,id=net0,vhost=on,fd=7"
    assert out[8] == "tap,id=net1,fd=9"
    assert out[:4] == argv[:4] and out[-2:] == argv[-2:]


def test_tapfds_refuses_to_run_without_a_command() -> None:
    assert tapfds.main([]) == 2
    assert tapfds.main(["--"]) == 2
