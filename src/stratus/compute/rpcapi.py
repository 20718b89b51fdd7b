"""Client side of the compute agents' RPC interface (topic ``compute``, server = host name).

Version history:

* 1.0 — initial version: build, terminate, power actions, rebuild, snapshot, console output,
  and the resize / cold-migration steps (prep, resize, finish, confirm, revert, finish revert);
  ``get_host_uptime`` (call) for the hypervisor uptime API; ``get_vnc_console`` (call) for
  the noVNC console; ``security_groups_changed`` and ``networks_changed`` (fanouts from
  the network services) for the hosts' network dataplane.
"""

from __future__ import annotations

from stratus.messaging.bus import MessageBus, Target
from stratus.messaging.rpc import RpcClient
from stratus.objects.console import ConsoleConnectInfo
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.migration import MigrationRef
from stratus.objects.network import VIF

TOPIC = "compute"
VERSION_CAP = "1.0"


class ComputeAPI(RpcClient):
    def __init__(self, bus: MessageBus, timeout: float | None = None) -> None:
        super().__init__(bus, Target(TOPIC), VERSION_CAP, timeout=timeout)

    def _on(self, host: str) -> RpcClient:
        return self.prepare(server=host)

    def build_and_run_instance(
        self,
        host: str,
        instance: Instance,
        image: ImageMeta | None,
        network_info: list[VIF],
        node: str,
    ) -> None:
        self._on(host).cast(
            "build_and_run_instance",
            instance=instance,
            image=image,
            network_info=network_info,
            node=node,
        )

    def terminate_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("terminate_instance", instance=instance)

    def stop_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("stop_instance", instance=instance)

    def start_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("start_instance", instance=instance)

    def reboot_instance(self, host: str, instance: Instance, reboot_type: str) -> None:
        """``reboot_type`` is ``SOFT`` (ACPI, guest cooperates) or ``HARD`` (reset)."""
        self._on(host).cast("reboot_instance", instance=instance, reboot_type=reboot_type)

    def pause_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("pause_instance", instance=instance)

    def unpause_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("unpause_instance", instance=instance)

    def suspend_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("suspend_instance", instance=instance)

    def resume_instance(self, host: str, instance: Instance) -> None:
        self._on(host).cast("resume_instance", instance=instance)

    def rebuild_instance(self, host: str, instance: Instance, image: ImageMeta) -> None:
        self._on(host).cast("rebuild_instance", instance=instance, image=image)

    def snapshot_instance(
        self, host: str, instance: Instance, image_id: str, auth_token: str
    ) -> None:
        """Upload a snapshot of the instance's root disk into image ``image_id`` (queued)."""
        self._on(host).cast(
            "snapshot_instance", instance=instance, image_id=image_id, auth_token=auth_token
        )

    def get_console_output(self, host: str, instance: Instance, length: int | None) -> str:
        return str(self._on(host).call("get_console_output", instance=instance, length=length))

    # -- resize / cold migration -------------------------------------------------------------
    def prep_resize(
        self, dest: str, instance: Instance, new_flavor: Flavor, migration: MigrationRef
    ) -> None:
        """On the destination: get ready (resources are already claimed by the scheduler)."""
        self._on(dest).cast(
            "prep_resize", instance=instance, new_flavor=new_flavor, migration=migration
        )

    def resize_instance(
        self, source: str, instance: Instance, new_flavor: Flavor, migration: MigrationRef
    ) -> None:
        """On the source: power off and hand the disks over."""
        self._on(source).cast(
            "resize_instance", instance=instance, new_flavor=new_flavor, migration=migration
        )

    def finish_resize(self, dest: str, instance: Instance, migration: MigrationRef) -> None:
        """On the destination: start with the new flavor; the instance waits in VERIFY_RESIZE."""
        self._on(dest).cast("finish_resize", instance=instance, migration=migration)

    def confirm_resize(self, source: str, instance: Instance, migration: MigrationRef) -> None:
        """On the source: remove what is left of the old instance."""
        self._on(source).cast("confirm_resize", instance=instance, migration=migration)

    def revert_resize(self, dest: str, instance: Instance, migration: MigrationRef) -> None:
        """On the destination: destroy the new copy, then let the source finish the revert."""
        self._on(dest).cast("revert_resize", instance=instance, migration=migration)

    def finish_revert_resize(
        self, source: str, instance: Instance, migration: MigrationRef
    ) -> None:
        """On the source: start again with the old flavor and disks."""
        self._on(source).cast("finish_revert_resize", instance=instance, migration=migration)

    # -- host information ----------------------------------------------------------------------
    def get_host_uptime(self, host: str, timeout: float = 10.0) -> str:
        """The host's ``uptime`` line (``os-hypervisors/{id}/uptime``); a short timeout, since
        the API waits for it."""
        return str(self.prepare(server=host, timeout=timeout).call("get_host_uptime"))

    # -- consoles --------------------------------------------------------------------------------
    def get_vnc_console(
        self, host: str, instance: Instance, console_type: str
    ) -> ConsoleConnectInfo:
        """Where the running instance's VNC server is on ``host`` (plus the host's noVNC URL
        base); ``Invalid`` (400) for an unavailable console type, ``Conflict`` (409) when the
        instance does not run there."""
        return self._on(host).call_as(
            ConsoleConnectInfo, "get_vnc_console", instance=instance, console_type=console_type
        )

    # -- network dataplane (fanouts to every agent, from the network services) ----------------
    def security_groups_changed(self, security_group_ids: list[str], port_ids: list[str]) -> None:
        """Hosts re-render the rules of their ports in these groups and of these ports."""
        self.fanout(
            "security_groups_changed", security_group_ids=security_group_ids, port_ids=port_ids
        )

    def networks_changed(self, network_ids: list[str]) -> None:
        """Hosts re-read these networks (and remove those that were deleted)."""
        self.fanout("networks_changed", network_ids=network_ids)
