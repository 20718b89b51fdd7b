"""The dataplane plug-in interface (``[network] backend``) and its loader.

The API and the services own networks, subnets, ports and addresses in the database; a backend
makes them real on hosts (bridges, taps, DHCP, firewall rules). Who calls what:

* the network services call ``ensure_network`` after a network is created or changed,
  ``delete_network`` after it is deleted, and ``apply_security_groups`` when the rules that apply
  to a port change;
* compute agents call ``plug`` before starting an instance's interface and ``unplug`` after
  stopping it.

Every removal (``unplug``, ``delete_network``) succeeds when there is nothing to remove. Backends
never touch the database or the bus. ``noop`` (this release) does nothing; linuxbridge+dnsmasq
comes with the dataplane.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import Protocol

from stratus.objects.network import VIF, SecurityRule


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
    """One dataplane implementation (one module per backend under ``network/backends``)."""

    name: str
    capabilities: BackendCapabilities

    def ensure_network(self, net: NetworkSpec) -> None:
        """Create or update ``net`` on the dataplane; idempotent."""

    def delete_network(self, network_id: str) -> None:
        """Remove a network; succeeds when it does not exist."""

    def plug(self, host: str, vif: VIF) -> None:
        """Wire ``vif`` on ``host`` (run on that host, before the guest starts)."""

    def unplug(self, host: str, vif: VIF) -> None:
        """Undo ``plug``; succeeds when already unplugged."""

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        """Make ``rules`` (the union of the port's groups) the only traffic the port allows."""


BACKENDS: dict[str, str] = {"noop": "stratus.network.backends.noop:NoopBackend"}


class UnknownBackend(ValueError):
    """``[network] backend`` names no known backend."""


def load(name: str) -> NetworkBackend:
    """The backend configured as ``name`` (``[network] backend``)."""
    try:
        module_name, _, attr = BACKENDS[name].partition(":")
    except KeyError:
        raise UnknownBackend(
            f"unknown [network] backend {name!r}; known: {', '.join(sorted(BACKENDS))}"
        ) from None
    backend: NetworkBackend = getattr(importlib.import_module(module_name), attr)()
    return backend
