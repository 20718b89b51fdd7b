# mypy: disable-error-code="empty-body"
# NOTE: the methods below are declarations; stratus.messaging.remote writes their bodies.
"""The conductor's RPC surface (topic ``conductor``): the client, and the one list of the methods
the conductor's endpoint (``conductor/manager.py``) serves.

Version history:

* 1.0 — initial version: build/migrate workflows (from the API) and the database proxy used by
  compute agents (heartbeats, resource reports, instance reads and updates, faults, action
  events, migrations, network info, delete completion); ``console_token_consume`` for the
  console proxies on compute hosts; ``metadata_for_address`` for the metadata servers on
  compute hosts; ``network_dataplane`` and ``port_security_rules`` for the network
  dataplane of compute hosts.
"""

from __future__ import annotations

from typing import Any

from stratus.messaging import remote
from stratus.messaging.bus import MessageBus, Target
from stratus.messaging.rpc import RpcClient
from stratus.objects.compute_node import HostResources
from stratus.objects.console import ConsoleConnectInfo
from stratus.objects.flavor import Flavor
from stratus.objects.instance import Instance
from stratus.objects.metadata import InstanceMetadata
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule
from stratus.objects.request_spec import RequestSpec

TOPIC = "conductor"
VERSION_CAP = "1.0"

# Instance columns a compute agent may change through ``instance_update``.
UPDATABLE_FIELDS = frozenset(
    {
        "vm_state",
        "task_state",
        "power_state",
        "host",
        "node",
        "launched_on",
        "launched_at",
        "terminated_at",
        "progress",
        "flavor",
        "old_flavor",
        "new_flavor",
        "image_ref",
        "availability_zone",
    }
)


class ConductorAPI(RpcClient):
    def __init__(self, bus: MessageBus, timeout: float | None = None) -> None:
        super().__init__(bus, Target(TOPIC), VERSION_CAP, timeout=timeout)

    # -- workflows started by the API (casts) ------------------------------------------------
    @remote.cast
    def build_instances(self, instance_uuids: list[str], request_spec: RequestSpec) -> None:
        """Schedule, allocate networks and start the build on the chosen hosts."""

    @remote.cast
    def migrate_server(
        self,
        instance_uuid: str,
        new_flavor: Flavor | None,
        host: str | None,
        request_spec: RequestSpec,
    ) -> None:
        """Resize (``new_flavor`` set) or cold-migrate (``new_flavor`` None) an instance."""

    # -- database proxy for compute agents (calls) ---------------------------------------------
    @remote.call
    def service_report(self, host: str, binary: str, topic: str) -> dict[str, Any]:
        """Heartbeat: create or refresh the service record; returns ``{"disabled": bool}``."""

    @remote.call
    def compute_node_report(self, resources: HostResources) -> None:
        """Create or update the compute node row of ``resources.hypervisor_hostname``."""

    @remote.call
    def instance_get(self, instance_uuid: str) -> Instance:
        """The instance; ``NotFound`` when it is unknown or deleted."""

    @remote.call
    def instances_on_host(self, host: str) -> list[Instance]:
        """The live instances whose ``host`` is ``host``."""

    @remote.call
    def instance_update(
        self,
        instance_uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None = None,
    ) -> Instance:
        """Update ``values`` (keys from ``UPDATABLE_FIELDS``); ``Conflict`` when the task state
        is not one of ``expected_task_state`` (someone else changed the instance meanwhile)."""

    @remote.call
    def instance_fault_create(
        self, instance_uuid: str, code: int, message: str, details: str, host: str
    ) -> None:
        """Record a fault (shown as the server's ``fault``)."""

    @remote.call
    def action_event_start(
        self, instance_uuid: str, request_id: str, event: str, host: str
    ) -> None:
        """Start ``event`` of the instance action of ``request_id``."""

    @remote.call
    def action_event_finish(
        self,
        instance_uuid: str,
        request_id: str,
        event: str,
        result: str,
        traceback: str | None = None,
    ) -> None:
        """Finish ``event`` of the instance action of ``request_id`` with ``result``."""

    @remote.call
    def network_info(self, instance_uuid: str) -> list[VIF]:
        """The instance's ports as the dataplane sees them."""

    @remote.cast
    def build_failed(self, instance_uuid: str, host: str, reason: str) -> None:
        """The build on ``host`` failed: reschedule elsewhere or put the instance in ERROR."""

    @remote.call
    def instance_destroyed(self, instance_uuid: str, host: str) -> None:
        """The hypervisor side is gone: free allocations and ports, mark the row deleted."""

    @remote.call
    def migration_update(self, migration_uuid: str, status: str) -> None:
        """Set a migration's status (``error``/``failed`` before the move undo its claims)."""

    @remote.call
    def resize_confirmed(self, instance_uuid: str, migration_uuid: str) -> None:
        """Source side cleaned up: drop the source allocation, migration -> confirmed."""

    @remote.call
    def resize_reverted(self, instance_uuid: str, migration_uuid: str) -> None:
        """Back on the source: drop the destination allocation, migration -> reverted."""

    # -- console proxies (calls) ---------------------------------------------------------------
    @remote.call
    def console_token_consume(self, token: str) -> ConsoleConnectInfo | None:
        """The console a token opens, once: None when it is unknown, used, expired, or its
        instance has gone from the token's host. The conductor stores only token hashes."""

    # -- metadata servers on compute hosts (calls) ---------------------------------------------
    @remote.call
    def metadata_for_address(self, network_id: str, address: str) -> InstanceMetadata | None:
        """The live instance whose port on ``network_id`` holds the fixed IP ``address`` (with
        its ports, key type, launch index and reservation id); None when there is none."""

    # -- network dataplane of compute hosts (calls) ----------------------------------------------
    @remote.call
    def network_dataplane(self, host: str, network_ids: list[str]) -> list[NetworkDataplane]:
        """Every network with a port bound to ``host`` plus those of ``network_ids`` that still
        exist (an absent one was deleted), each with its subnets and the ports bound there."""

    @remote.call
    def port_security_rules(self, port_ids: list[str]) -> dict[str, list[SecurityRule]]:
        """port id -> the rules of all its groups, remote groups resolved to member addresses
        (empty for a port without port security or one that no longer exists)."""
