"""``LinuxBridgeBackend`` (``[network] backend = linuxbridge``): ties the aspect modules together.

Control plane: ``ensure_network``/``delete_network`` do nothing here. Networks are built on a
compute host when the first port of theirs is about to be used there, and removed when the
agent learns the network is gone (the network services publish ``networks_changed`` on the bus,
and the agent resynchronises periodically).

Compute host (``state_dir`` given, see ``network.backend.runtime_dir``): per network a
directory ``<state_dir>/<network id>/`` holds ``network.json`` (the last ``NetworkDataplane``
the agent gave us), ``ports/<port id>.json`` (each port with its rules), ``rules.nft`` (the
ruleset loaded last) and dnsmasq's files. ``unplug`` and ``apply_security_groups`` work from
these files alone, so they need no round trip to the conductor. One lock per network serialises
changes (builds, fanouts and the periodic resync run on different threads).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel

from stratus.network.backend import BackendCapabilities, DataplaneError, NetworkSpec
from stratus.network.backends.linuxbridge import bridge, namespace, security_groups
from stratus.network.backends.linuxbridge.dnsmasq import Dnsmasq, Paths
from stratus.network.backends.linuxbridge.namespace import Runner, namespace_name, run
from stratus.network.backends.linuxbridge.plugger import NamespacePlugger
from stratus.network.backends.linuxbridge.security_groups import PortFilter
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule

LOG = logging.getLogger(__name__)

NETWORK_FILE = "network.json"
RULES_FILE = "rules.nft"


class _PortFile(BaseModel):
    vif: VIF
    rules: list[SecurityRule] = []


class LinuxBridgeBackend:
    name = "linuxbridge"
    capabilities = BackendCapabilities(dhcp=True, enforces_security_groups=True, vif_type="bridge")

    def __init__(self, state_dir: Path | None = None, runner: Runner = run) -> None:
        self.state_dir = state_dir
        self._run = runner
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def vif_plugger(self) -> NamespacePlugger:
        """The qemu driver's tap devices, in this backend's namespaces."""
        return NamespacePlugger(self._run)

    # -- control plane -------------------------------------------------------------------------
    def ensure_network(self, net: NetworkSpec) -> None:
        return None

    def delete_network(self, network_id: str) -> None:
        return None

    # -- helpers ---------------------------------------------------------------------------------
    def _dir(self, network_id: str) -> Path | None:
        return None if self.state_dir is None else self.state_dir / network_id

    @contextlib.contextmanager
    def _locked(self, network_id: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(network_id, threading.Lock())
        with lock:
            yield

    def _ports(self, d: Path) -> list[PortFilter]:
        found = []
        for path in sorted((d / "ports").glob("*.json")):
            try:
                item = _PortFile.model_validate_json(path.read_text())
            except (OSError, ValueError) as exc:
                LOG.warning("ignoring unreadable port state %s: %s", path, exc)
                continue
            found.append(PortFilter(item.vif, tuple(item.rules)))
        return found

    def _render(self, network_id: str, d: Path, force: bool = False) -> None:
        """Load the ruleset of every known port (unless it is what was loaded last)."""
        script = security_groups.ruleset(self._ports(d))
        cache = d / RULES_FILE
        if not force and cache.exists() and cache.read_text() == script:
            return
        security_groups.load(namespace_name(network_id), script, self._run)
        cache.write_text(script)

    def _dnsmasq(self, network_id: str, d: Path) -> Dnsmasq:
        return Dnsmasq(namespace_name(network_id), Paths(d), self._run)

    # -- compute host ----------------------------------------------------------------------------
    def setup_network(self, net: NetworkDataplane) -> None:
        d = self._dir(net.id)
        if d is None:
            raise DataplaneError("the linuxbridge backend has no state directory on this host")
        with self._locked(net.id):
            ns, br = namespace_name(net.id), bridge.bridge_name(net.id)
            (d / "ports").mkdir(parents=True, exist_ok=True)
            d.chmod(0o755)
            if namespace.ensure(ns, self._run):
                # NOTE: a dnsmasq may still run in a namespace deleted behind our back
                self._dnsmasq(net.id, d).stop()
            bridge.ensure(ns, br, net.mtu, self._run)
            bridge.sync_addresses(ns, br, bridge.addresses(net.subnets), self._run)
            (d / NETWORK_FILE).write_text(net.model_dump_json())
            bound = {p.port_id for p in net.ports}
            for path in (d / "ports").glob("*.json"):
                if path.stem not in bound:
                    path.unlink()  # NOTE: no longer bound here: its rules go, its tap is dropped
            self._dnsmasq(net.id, d).configure(net, br)
            self._render(net.id, d, force=True)

    def teardown_network(self, network_id: str) -> None:
        d = self._dir(network_id)
        if d is None or not d.exists():
            return  # NOTE: not ours (another deployment's namespace is never touched)
        with self._locked(network_id):
            self._dnsmasq(network_id, d).stop()
            namespace.delete(namespace_name(network_id), self._run)
            shutil.rmtree(d, ignore_errors=True)
        LOG.info("network %s removed from this host", network_id)

    def host_network_ids(self) -> list[str]:
        if self.state_dir is None or not self.state_dir.is_dir():
            return []
        return sorted(p.name for p in self.state_dir.iterdir() if (p / NETWORK_FILE).exists())

    def plug(self, host: str, vif: VIF) -> None:
        return None  # NOTE: taps come from vif_plugger(), made by the virt driver

    def unplug(self, host: str, vif: VIF) -> None:
        d = self._dir(vif.network_id)
        if d is None or not (d / NETWORK_FILE).exists():
            return
        with self._locked(vif.network_id):
            (d / "ports" / f"{vif.port_id}.json").unlink(missing_ok=True)
            net = NetworkDataplane.model_validate_json((d / NETWORK_FILE).read_text())
            if any(p.port_id == vif.port_id for p in net.ports):
                ports = [p for p in net.ports if p.port_id != vif.port_id]
                net = net.model_copy(update={"ports": ports})
                (d / NETWORK_FILE).write_text(net.model_dump_json())
                self._dnsmasq(net.id, d).configure(net, bridge.bridge_name(net.id))
            self._render(net.id, d)

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        d = self._dir(port.network_id)
        if d is None or not (d / NETWORK_FILE).exists():
            LOG.debug("port %s: network %s is not set up here", port.port_id, port.network_id)
            return
        with self._locked(port.network_id):
            item = _PortFile(vif=port, rules=list(rules))
            (d / "ports" / f"{port.port_id}.json").write_text(item.model_dump_json())
            self._render(port.network_id, d)
