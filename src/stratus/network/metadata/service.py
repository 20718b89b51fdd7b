"""The metadata servers of a compute host: one per ``qdhcp-<network id>`` namespace.

The compute agent owns it (``cmd/compute.py``) when its network backend builds DHCP
namespaces, and the agent's dataplane code drives it: :meth:`MetadataService.ensure` right after
it sets up a network's namespace (at build and at every resync, so the server is up before the
guest boots and comes back after an agent restart), :meth:`forget` right before it deletes one
(the server's socket would otherwise keep the deleted namespace alive). :meth:`sync` runs every
couple of seconds as a safety net: a namespace deleted behind the agent's back loses its server,
and one re-created under the same name gets a new server (the old socket still belongs to the
old namespace). Namespaces nobody asked for are never entered, so several clouds (or test runs)
on one machine do not serve each other's networks.

Each server answers with the conductor's view (``lookup``: network id and source address ->
``InstanceMetadata``; see :mod:`.server` for how callers are identified).
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from stratus.network.metadata import netns
from stratus.network.metadata.netns import Endpoint
from stratus.network.metadata.server import (
    METADATA_IP,
    METADATA_PORT,
    CachedLookup,
    Lookup,
    MetadataServer,
)

LOG = logging.getLogger(__name__)

NAMESPACE_PREFIX = "qdhcp-"
SYNC_INTERVAL = 2.0

Opener = Callable[[Path, str, int], Endpoint]


def namespace_name(network_id: str) -> str:
    """The namespace of a network's dataplane on a compute host (Neutron's name)."""
    return f"{NAMESPACE_PREFIX}{network_id}"


class MetadataService:
    """Starts and stops the per-network metadata servers of this host."""

    def __init__(
        self,
        lookup: Lookup,
        netns_dir: Path = netns.NETNS_DIR,
        address: str = METADATA_IP,
        port: int = METADATA_PORT,
        opener: Opener = netns.open_in_namespace,
    ) -> None:
        self.netns_dir = netns_dir
        self.address = address
        self.port = port
        self._lookup = CachedLookup(lookup)
        self._open = opener
        self._lock = threading.Lock()
        self._servers: dict[str, tuple[MetadataServer, int]] = {}
        self._wanted: set[str] = set()
        self._failed: dict[str, int] = {}  # network id -> namespace inode that failed to open

    def served(self) -> list[str]:
        """The network ids with a running server."""
        with self._lock:
            return sorted(self._servers)

    def ensure(self, network_id: str) -> bool:
        """Serve ``network_id`` from now on (once its namespace exists); True when a server runs
        for it now."""
        path = self.netns_dir / namespace_name(network_id)
        with self._lock:
            self._wanted.add(network_id)
            inode = netns.namespace_inode(path)
            running = self._servers.get(network_id)
            if running is not None and running[1] == inode:
                return True
            if running is not None:
                self._stop(network_id)  # the namespace was deleted or replaced
            if inode is None:
                return False
            return self._start(network_id, path, inode)

    def _start(self, network_id: str, path: Path, inode: int) -> bool:
        try:
            endpoint = self._open(path, self.address, self.port)
        except OSError as exc:
            level = logging.DEBUG if self._failed.get(network_id) == inode else logging.WARNING
            self._failed[network_id] = inode
            hint = " (another process serves it)" if exc.errno == errno.EADDRINUSE else ""
            LOG.log(level, "no metadata server in %s: %s%s", path.name, exc, hint)
            return False
        self._failed.pop(network_id, None)
        server = MetadataServer(
            network_id, endpoint.sock, self._lookup, endpoint.neighbours, endpoint.neighbours.close
        )
        self._servers[network_id] = (server.start(), endpoint.inode)
        LOG.info("metadata server on %s:%d in %s", self.address, self.port, path.name)
        return True

    def _stop(self, network_id: str) -> None:
        server, _inode = self._servers.pop(network_id)
        server.stop()
        LOG.info("metadata server of network %s stopped", network_id)

    def forget(self, network_id: str) -> None:
        """Stop serving ``network_id`` (before its namespace is deleted). Idempotent."""
        with self._lock:
            self._wanted.discard(network_id)
            self._failed.pop(network_id, None)
            if network_id in self._servers:
                self._stop(network_id)

    def sync(self) -> None:
        """Match the servers of the wanted networks to their namespaces as they are now."""
        with self._lock:
            wanted = sorted(self._wanted)
        for network_id in wanted:
            self.ensure(network_id)

    def stop(self) -> None:
        """Stop every server (the agent is stopping). Idempotent."""
        with self._lock:
            for network_id in list(self._servers):
                self._stop(network_id)
