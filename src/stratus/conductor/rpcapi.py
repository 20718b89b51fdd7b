"""Client side of the conductor's RPC interface (topic ``conductor``).

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
    def build_instances(self, instance_uuids: list[str], request_spec: RequestSpec) -> None:
        """Schedule, allocate networks and start the build on the chosen hosts."""
        self.cast("build_instances", instance_uuids=instance_uuids, request_spec=request_spec)

    def migrate_server(
        self,
        instance_uuid: str,
        new_flavor: Flavor | None,
        host: str | None,
        request_spec: RequestSpec,
    ) -> None:
        """Resize (``new_flavor`` set) or cold-migrate (``new_flavor`` None) an instance."""
        self.cast(
            "migrate_server",
            instance_uuid=instance_uuid,
            new_flavor=new_flavor,
            host=host,
            request_spec=request_spec,
        )

    # -- database proxy for compute agents (calls) ---------------------------------------------
    def service_report(self, host: str, binary: str, topic: str) -> dict[str, Any]:
        """Heartbeat: create or refresh the service record; returns ``{"disabled": bool}``."""
        return dict(self.call("service_report", host=host, binary=binary, topic=topic))

    def compute_node_report(self, resources: HostResources) -> None:
        """Create or update the compute node row of ``resources.hypervisor_hostname``."""
        self.call("compute_node_report", resources=resources)

    def instance_get(self, instance_uuid: str) -> Instance:
        return self.call_as(Instance, "instance_get", instance_uuid=instance_uuid)

    def instances_on_host(self, host: str) -> list[Instance]:
        result = self.call("instances_on_host", host=host)
        return [i for i in result if isinstance(i, Instance)]

    def instance_update(
        self,
        instance_uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None = None,
    ) -> Instance:
        """Update ``values`` (keys from ``UPDATABLE_FIELDS``); ``Conflict`` when the task state
        is not one of ``expected_task_state`` (someone else changed the instance meanwhile)."""
        return self.call_as(
            Instance,
            "instance_update",
            instance_uuid=instance_uuid,
            values=values,
            expected_task_state=expected_task_state,
        )

    def instance_fault_create(
        self, instance_uuid: str, code: int, message: str, details: str, host: str
    ) -> None:
        self.call(
            "instance_fault_create",
            instance_uuid=instance_uuid,
            code=code,
            message=message,
            details=details,
            host=host,
        )

    def action_event_start(
        self, instance_uuid: str, request_id: str, event: str, host: str
    ) -> None:
        self.call(
            "action_event_start",
            instance_uuid=instance_uuid,
            request_id=request_id,
            event=event,
            host=host,
        )

    def action_event_finish(
        self,
        instance_uuid: str,
        request_id: str,
        event: str,
        result: str,
        traceback: str | None = None,
    ) -> None:
        self.call(
            "action_event_finish",
            instance_uuid=instance_uuid,
            request_id=request_id,
            event=event,
            result=result,
            traceback=traceback,
        )

    def network_info(self, instance_uuid: str) -> list[VIF]:
        result = self.call("network_info", instance_uuid=instance_uuid)
        return [v for v in result if isinstance(v, VIF)]

    def build_failed(self, instance_uuid: str, host: str, reason: str) -> None:
        """The build on ``host`` failed: reschedule elsewhere or put the instance in ERROR."""
        self.cast("build_failed", instance_uuid=instance_uuid, host=host, reason=reason)

    def instance_destroyed(self, instance_uuid: str, host: str) -> None:
        """The hypervisor side is gone: free allocations and ports, mark the row deleted."""
        self.call("instance_destroyed", instance_uuid=instance_uuid, host=host)

    def migration_update(self, migration_uuid: str, status: str) -> None:
        self.call("migration_update", migration_uuid=migration_uuid, status=status)

    def resize_confirmed(self, instance_uuid: str, migration_uuid: str) -> None:
        """Source side cleaned up: drop the source allocation, migration -> confirmed."""
        self.call("resize_confirmed", instance_uuid=instance_uuid, migration_uuid=migration_uuid)

    def resize_reverted(self, instance_uuid: str, migration_uuid: str) -> None:
        """Back on the source: drop the destination allocation, migration -> reverted."""
        self.call("resize_reverted", instance_uuid=instance_uuid, migration_uuid=migration_uuid)

    # -- console proxies (calls) ---------------------------------------------------------------
    def console_token_consume(self, token: str) -> ConsoleConnectInfo | None:
        """The console a token opens, once: None when it is unknown, used, expired, or its
        instance has gone from the token's host. The conductor stores only token hashes."""
        result = self.call("console_token_consume", token=token)
        return result if isinstance(result, ConsoleConnectInfo) else None

    # -- metadata servers on compute hosts (calls) ---------------------------------------------
    def metadata_for_address(self, network_id: str, address: str) -> InstanceMetadata | None:
        """The live instance whose port on ``network_id`` holds the fixed IP ``address`` (with
        its ports, key type, launch index and reservation id); None when there is none."""
        result = self.call("metadata_for_address", network_id=network_id, address=address)
        return result if isinstance(result, InstanceMetadata) else None

    # -- network dataplane of compute hosts (calls) ----------------------------------------------
    def network_dataplane(self, host: str, network_ids: list[str]) -> list[NetworkDataplane]:
        """Every network with a port bound to ``host`` plus those of ``network_ids`` that still
        exist (an absent one was deleted), each with its subnets and the ports bound there."""
        result = self.call("network_dataplane", host=host, network_ids=network_ids)
        return [n for n in result if isinstance(n, NetworkDataplane)]

    def port_security_rules(self, port_ids: list[str]) -> dict[str, list[SecurityRule]]:
        """port id -> the rules of all its groups, remote groups resolved to member addresses
        (empty for a port without port security or one that no longer exists)."""
        result = self.call("port_security_rules", port_ids=port_ids)
        return {
            str(k): [r for r in v if isinstance(r, SecurityRule)] for k, v in dict(result).items()
        }
