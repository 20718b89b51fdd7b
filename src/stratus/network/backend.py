"""The dataplane plug-in interface (``[network] backend``) and its loader.

The API and the services own networks, subnets, ports and addresses in the database; a backend
makes them real on hosts (bridges, taps, DHCP, firewall rules). Who calls what:

* the network services (control plane) call ``ensure_network`` after a network is created or
  changed and ``delete_network`` after it is deleted;
* compute agents (which have no database: their data comes from the conductor) call
  ``setup_network`` before a guest on that network starts and whenever the network or its
  ports bound to the host change, ``apply_security_groups`` for each of their ports when the
  rules that apply to it change, ``plug`` before starting an instance's interface and
  ``unplug`` after stopping it, ``teardown_network`` when the network is gone, and
  ``host_network_ids`` to resynchronise periodically.

Every removal (``unplug``, ``delete_network``, ``teardown_network``) succeeds when there is
nothing to remove. Backends never touch the database or the bus. ``noop`` does nothing
(API-only networking, the fake virt driver); ``linuxbridge`` builds one network namespace per
network on each compute host (bridge, gateway, dnsmasq, nftables security groups).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from stratus.common.exceptions import StratusError
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule


class DataplaneError(StratusError):
    """The host's dataplane failed (a command, a process); ``message`` says what to fix."""

    message = "The network dataplane failed."


@dataclasses.dataclass(frozen=True)
class BackendCapabilities:
    """What a backend really does, so callers and docs can tell users the truth."""

    dhcp: bool = False
    enforces_security_groups: bool = False
    vif_type: str = "bridge"


@dataclasses.dataclass(frozen=True)
class NetworkSpec:
    """A network as the dataplane needs to know it."""

    id: str
    name: str
    mtu: int
    cidrs: tuple[str, ...] = ()
    external: bool = False
    network_type: str | None = None
    physical_network: str | None = None
    segmentation_id: int | None = None


class NetworkBackend(Protocol):
    """One dataplane implementation (one module or package per backend under ``backends``)."""

    name: str
    capabilities: BackendCapabilities

    # -- control plane (network services) ----------------------------------------------------
    def ensure_network(self, net: NetworkSpec) -> None:
        """Create or update ``net`` on the dataplane; idempotent."""

    def delete_network(self, network_id: str) -> None:
        """Remove a network; succeeds when it does not exist."""

    # -- compute hosts (the compute agent) ---------------------------------------------------
    def setup_network(self, net: NetworkDataplane) -> None:
        """Make this host's part of ``net`` match it (gateway, DHCP entries of ``net.ports``,
        which are all of the network's ports bound here); idempotent. Raises
        ``DataplaneError`` when the host cannot do it."""

    def teardown_network(self, network_id: str) -> None:
        """Remove everything of the network from this host; succeeds when nothing is there."""

    def host_network_ids(self) -> list[str]:
        """The networks this backend has set up on this host."""

    def plug(self, host: str, vif: VIF) -> None:
        """Wire ``vif`` on ``host`` (run on that host, before the guest starts)."""

    def unplug(self, host: str, vif: VIF) -> None:
        """Undo ``plug`` and forget the port (DHCP entry, rules); succeeds when already done."""

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        """Make ``rules`` (the union of the port's groups, remote groups resolved to their
        members' addresses) the only traffic the port allows; a no-op for a port whose network
        is not set up on this host."""


BACKENDS: dict[str, str] = {
    "noop": "stratus.network.backends.noop:NoopBackend",
    "linuxbridge": "stratus.network.backends.linuxbridge.backend:LinuxBridgeBackend",
}


class UnknownBackend(ValueError):
    """``[network] backend`` names no known backend."""


def runtime_dir(state_path: Path) -> Path:
    """Where a compute host's backend keeps its runtime files (per deployment, under /run).

    Namespaces, bridges and dnsmasq do not survive a reboot, so neither need their files; the
    agent rebuilds everything from the conductor's data. The directory must be traversable by
    dnsmasq after it drops its privileges, which the (private) state directory is not.
    """
    tag = hashlib.sha1(str(state_path.resolve()).encode()).hexdigest()[:8]
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    return base / "stratus" / f"dataplane-{tag}"


def load(name: str, state_dir: Path | None = None) -> NetworkBackend:
    """The backend configured as ``name`` (``[network] backend``).

    Compute agents pass ``state_dir`` (see :func:`runtime_dir`): without one a backend only
    serves the control plane, and its host methods have nothing of their own to act on.
    """
    try:
        module_name, _, attr = BACKENDS[name].partition(":")
    except KeyError:
        raise UnknownBackend(
            f"unknown [network] backend {name!r}; known: {', '.join(sorted(BACKENDS))}"
        ) from None
    cls = getattr(importlib.import_module(module_name), attr)
    backend: NetworkBackend = cls(state_dir) if state_dir is not None else cls()
    return backend
