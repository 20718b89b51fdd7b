"""Tap devices through ``TapPlugger`` (the commands it runs)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stratus.objects.network import VIF
from stratus.virt.driver import DriverError
from stratus.virt.qemu.vifs import TapPlugger, tap_name

VIF1 = VIF(port_id="0123456789abcdef", network_id="n", mac_address="fa:16:3e:00:00:01", mtu=1450)


class FakeIp:
    def __init__(self, fail: dict[str, str] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail or {}

    def __call__(self, argv: Sequence[str]) -> None:
        self.calls.append(list(argv))
        for word, message in self.fail.items():
            if word in argv:
                raise DriverError(message)


def test_tap_name_follows_the_port_id() -> None:
    assert tap_name(VIF1) == "tap0123456789a"
    assert tap_name(VIF1.model_copy(update={"devname": "tapcustom"})) == "tapcustom"


def test_plug_creates_sets_mtu_enslaves_and_brings_up() -> None:
    ip = FakeIp()
    plugger = TapPlugger(bridge="br0", run=ip)
    assert plugger.plug("i1", VIF1) == "tap0123456789a"
    assert ip.calls == [
        ["ip", "tuntap", "add", "dev", "tap0123456789a", "mode", "tap"],
        ["ip", "link", "set", "tap0123456789a", "mtu", "1450"],
        ["ip", "link", "set", "tap0123456789a", "master", "br0"],
        ["ip", "link", "set", "tap0123456789a", "up"],
    ]
    assert plugger.exec_prefix() == []


def test_namespace_and_bridge_per_vif() -> None:
    ip = FakeIp()
    plugger = TapPlugger(bridge=lambda vif: f"brq{vif.network_id}", netns="ns1", run=ip)
    plugger.plug("i1", VIF1)
    assert all(call[:3] == ["ip", "-n", "ns1"] for call in ip.calls)
    assert ["ip", "-n", "ns1", "link", "set", "tap0123456789a", "master", "brqn"] in ip.calls
    assert plugger.exec_prefix() == ["ip", "netns", "exec", "ns1"]


def test_existing_tap_is_reused_other_errors_are_raised() -> None:
    TapPlugger(run=FakeIp({"tuntap": "ioctl(TUNSETIFF): Device or resource busy"})).plug("i", VIF1)
    with pytest.raises(DriverError, match="Operation not permitted"):
        TapPlugger(run=FakeIp({"tuntap": "open: Operation not permitted"})).plug("i", VIF1)


def test_unplug_is_idempotent() -> None:
    ip = FakeIp({"del": 'Cannot find device "tapx"'})
    TapPlugger(run=ip).unplug("tapx")
    assert ip.calls == [["ip", "link", "del", "tapx"]]
    with pytest.raises(DriverError):
        TapPlugger(run=FakeIp({"del": "Operation not permitted"})).unplug("tapx")
