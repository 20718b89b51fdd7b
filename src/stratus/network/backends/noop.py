"""A backend that does nothing: addresses are managed, nothing is wired (API-only networking)."""

from __future__ import annotations

from collections.abc import Sequence

from stratus.network.backend import BackendCapabilities, NetworkSpec
from stratus.objects.network import VIF, SecurityRule


class NoopBackend:
    name = "noop"
    capabilities = BackendCapabilities(dhcp=False, enforces_security_groups=False)

    def ensure_network(self, net: NetworkSpec) -> None:
        return None

    def delete_network(self, network_id: str) -> None:
        return None

    def plug(self, host: str, vif: VIF) -> None:
        return None

    def unplug(self, host: str, vif: VIF) -> None:
        return None

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        return None
