"""A backend that does nothing: addresses are managed, nothing is wired (API-only networking)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stratus.network.backend import BackendCapabilities, NetworkSpec
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule


class NoopBackend:
    name = "noop"
    capabilities = BackendCapabilities(dhcp=False, enforces_security_groups=False)

    def __init__(self, state_dir: Path | None = None) -> None:
        self.state_dir = state_dir

    def ensure_network(self, net: NetworkSpec) -> None:
        return None

    def delete_network(self, network_id: str) -> None:
        return None

    def setup_network(self, net: NetworkDataplane) -> None:
        return None

    def teardown_network(self, network_id: str) -> None:
        return None

    def host_network_ids(self) -> list[str]:
        return []

    def plug(self, host: str, vif: VIF) -> None:
        return None

    def unplug(self, host: str, vif: VIF) -> None:
        return None

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        return None
