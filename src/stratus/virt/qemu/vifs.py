"""Tap devices for an instance's ports: the seam between the qemu driver and the network backend.

The driver asks a ``VifPlugger`` for one tap device per ``VIF`` before QEMU starts, and gives
them back when the instance is destroyed. ``TapPlugger`` creates persistent tap devices named
``tap`` + the first 11 characters of the port id (Nova/Neutron's naming, so a bridge agent can
find them) and, when given a bridge, enslaves them to it. A network namespace may be given: the
taps are created there and QEMU is started inside it (``exec_prefix``), which is how tests keep
guests on a private network. The real bridge/OVS backend (issue 4) implements the same protocol.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from typing import Protocol

from stratus.objects.network import VIF
from stratus.virt.driver import DriverError

Runner = Callable[[Sequence[str]], None]
TAP_PREFIX = "tap"
PORT_ID_CHARS = 11  # Nova/Neutron: "tap" + port_id[:11], 14 characters
IFNAMSIZ = 15  # usable characters in a Linux interface name


def tap_name(vif: VIF) -> str:
    """The tap device of a port: ``vif.devname`` if set, else ``tap<first 11 of port id>``."""
    name = vif.devname or TAP_PREFIX + vif.port_id[:PORT_ID_CHARS]
    return name[:IFNAMSIZ]


def run_ip(argv: Sequence[str]) -> None:
    """Run an ``ip`` command; raises ``DriverError`` with its message when it fails."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise DriverError(f"{' '.join(argv)} failed: {proc.stderr.strip()}")


class VifPlugger(Protocol):
    """Creates and removes the tap devices of an instance's ports."""

    def exec_prefix(self) -> list[str]:
        """Argv prefix QEMU runs under (e.g. ``ip netns exec NS``); empty for the host."""

    def plug(self, instance_uuid: str, vif: VIF) -> str:
        """Create (or keep) the port's tap device, up and attached; returns its name."""

    def unplug(self, tap: str) -> None:
        """Remove a tap device this plugger created. Idempotent."""


class TapPlugger:
    """Persistent tap devices, optionally on a bridge and inside a network namespace."""

    def __init__(
        self,
        bridge: Callable[[VIF], str | None] | str | None = None,
        netns: str | None = None,
        run: Runner = run_ip,
    ) -> None:
        self._bridge = bridge
        self.netns = netns
        self._run = run

    def _ip(self, *args: str) -> list[str]:
        return ["ip", "-n", self.netns, *args] if self.netns else ["ip", *args]

    def _bridge_for(self, vif: VIF) -> str | None:
        if callable(self._bridge):
            return self._bridge(vif)
        return self._bridge

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.netns] if self.netns else []

    def plug(self, instance_uuid: str, vif: VIF) -> str:
        name = tap_name(vif)
        try:
            self._run(self._ip("tuntap", "add", "dev", name, "mode", "tap"))
        except DriverError as exc:
            # NOTE: an existing tap (agent restarted mid-spawn, power on) is reused
            if "exists" not in exc.message and "busy" not in exc.message:
                raise
        self._run(self._ip("link", "set", name, "mtu", str(vif.mtu)))
        bridge = self._bridge_for(vif)
        if bridge:
            self._run(self._ip("link", "set", name, "master", bridge))
        self._run(self._ip("link", "set", name, "up"))
        return name

    def unplug(self, tap: str) -> None:
        try:
            self._run(self._ip("link", "del", tap))
        except DriverError as exc:
            if "Cannot find device" not in exc.message and "does not exist" not in exc.message:
                raise
