"""Tap devices for the qemu driver: created in the network's namespace, on its bridge.

``NamespacePlugger`` implements the qemu driver's ``VifPlugger`` (``virt/qemu/vifs.py``). Each
port's tap ``tap<port id[:11]>`` is a persistent tap device created *inside*
``qdhcp-<network id>`` and enslaved to the bridge there; the namespace must exist (the compute
agent sets the network up before the guest starts).

QEMU itself runs in the host's namespace. ``exec_prefix`` puts :mod:`.tapfds` in front of its
command line: that helper opens every ``ifname=`` tap in whichever namespace holds it and hands
QEMU the open file descriptors (``-netdev tap,fd=N``). So an instance may have ports on several
networks (several namespaces) — something ``ip netns exec`` could not do, since a process lives
in one namespace — and QEMU's VNC and QMP sockets stay where the host's services find them.
"""

from __future__ import annotations

import sys

from stratus.network.backend import DataplaneError
from stratus.network.backends.linuxbridge import namespace
from stratus.network.backends.linuxbridge.bridge import bridge_name
from stratus.network.backends.linuxbridge.namespace import Runner, run
from stratus.network.backends.linuxbridge.security_groups import tap_name
from stratus.objects.network import VIF
from stratus.virt.driver import DriverError

TAPFDS_MODULE = "stratus.network.backends.linuxbridge.tapfds"


class NamespacePlugger:
    """Taps in ``qdhcp-<network id>`` on bridge ``brq<network id[:11]>``."""

    def __init__(self, runner: Runner = run) -> None:
        self._run = runner

    def exec_prefix(self) -> list[str]:
        return [sys.executable, "-m", TAPFDS_MODULE, "--"]

    def plug(self, instance_uuid: str, vif: VIF) -> str:
        ns = namespace.namespace_name(vif.network_id)
        if not namespace.exists(ns):
            raise DriverError(
                f"network {vif.network_id} is not set up on this host (no namespace {ns}) for "
                f"port {vif.port_id} of instance {instance_uuid}"
            )
        tap = tap_name(vif.port_id)
        ip = ["ip", "-n", ns]
        try:
            try:
                self._run([*ip, "tuntap", "add", "dev", tap, "mode", "tap"])
            except DataplaneError as exc:
                # NOTE: an existing tap (agent restarted mid-spawn, power on) is reused
                if "exists" not in exc.message and "busy" not in exc.message:
                    raise
            self._run([*ip, "link", "set", tap, "mtu", str(vif.mtu)])
            self._run([*ip, "link", "set", tap, "master", bridge_name(vif.network_id), "up"])
        except DataplaneError as exc:
            raise DriverError(f"cannot plug port {vif.port_id}: {exc.message}") from exc
        return tap

    def unplug(self, tap: str) -> None:
        """Delete ``tap`` from whichever ``qdhcp-*`` namespace holds it. Idempotent."""
        for ns in namespace.namespaces():
            try:
                self._run(["ip", "-n", ns, "link", "del", tap])
            except DataplaneError as exc:
                if "Cannot find device" in exc.message or "does not exist" in exc.message:
                    continue
                if not namespace.exists(ns):
                    continue  # NOTE: deleted meanwhile, and the tap with it
                raise DriverError(f"cannot remove tap {tap}: {exc.message}") from exc
            return
