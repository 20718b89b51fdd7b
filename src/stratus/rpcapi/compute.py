# mypy: disable-error-code="empty-body"
# NOTE: the methods below are declarations; stratus.messaging.remote writes their bodies.
"""The compute agents' RPC surface (topic ``compute``, server = host name): the client, and the
one list of the methods every agent's endpoint (``compute/agent.py``) serves. The first argument
of a method sent to one host names that host; it is not part of the message.

Version history:

* 1.0 — initial version: build, terminate, power actions, rebuild, snapshot, console output,
  and the resize / cold-migration steps (prep, resize, finish, confirm, revert, finish revert);
  ``get_host_uptime`` (call) for the hypervisor uptime API; ``get_vnc_console`` (call) for
  the noVNC console; ``security_groups_changed`` and ``networks_changed`` (fanouts from
  the network services) for the hosts' network dataplane.
"""

from __future__ import annotations

from stratus.messaging import remote
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

    @remote.cast(server="host")
    def build_and_run_instance(
        self,
        host: str,
        instance: Instance,
        image: ImageMeta | None,
        network_info: list[VIF],
        node: str,
    ) -> None:
        """Spawn the instance (already claimed on ``node``) with its ports."""

    @remote.cast(server="host")
    def terminate_instance(self, host: str, instance: Instance) -> None:
        """Remove it from the hypervisor, then let the conductor free the rest
        (``instance_destroyed``)."""

    @remote.cast(server="host")
    def stop_instance(self, host: str, instance: Instance) -> None:
        """Power off."""

    @remote.cast(server="host")
    def start_instance(self, host: str, instance: Instance) -> None:
        """Power on."""

    @remote.cast(server="host")
    def reboot_instance(self, host: str, instance: Instance, reboot_type: str) -> None:
        """``reboot_type`` is ``SOFT`` (ACPI, guest cooperates) or ``HARD`` (reset)."""

    @remote.cast(server="host")
    def pause_instance(self, host: str, instance: Instance) -> None:
        """Pause the guest (it stays in memory)."""

    @remote.cast(server="host")
    def unpause_instance(self, host: str, instance: Instance) -> None:
        """Undo ``pause_instance``."""

    @remote.cast(server="host")
    def suspend_instance(self, host: str, instance: Instance) -> None:
        """Suspend the guest."""

    @remote.cast(server="host")
    def resume_instance(self, host: str, instance: Instance) -> None:
        """Undo ``suspend_instance``."""

    @remote.cast(server="host")
    def rebuild_instance(self, host: str, instance: Instance, image: ImageMeta) -> None:
        """Re-create the root disk from ``image`` and start again."""

    @remote.cast(server="host")
    def snapshot_instance(
        self, host: str, instance: Instance, image_id: str, auth_token: str
    ) -> None:
        """Upload a snapshot of the instance's root disk into image ``image_id`` (queued)."""

    @remote.call(server="host")
    def get_console_output(self, host: str, instance: Instance, length: int | None) -> str:
        """The console log, its last ``length`` lines (all of it for None)."""

    # -- resize / cold migration -------------------------------------------------------------
    @remote.cast(server="dest")
    def prep_resize(
        self, dest: str, instance: Instance, new_flavor: Flavor, migration: MigrationRef
    ) -> None:
        """On the destination: get ready (resources are already claimed by the scheduler)."""

    @remote.cast(server="source")
    def resize_instance(
        self, source: str, instance: Instance, new_flavor: Flavor, migration: MigrationRef
    ) -> None:
        """On the source: power off and hand the disks over."""

    @remote.cast(server="dest")
    def finish_resize(self, dest: str, instance: Instance, migration: MigrationRef) -> None:
        """On the destination: start with the new flavor; the instance waits in VERIFY_RESIZE."""

    @remote.cast(server="source")
    def confirm_resize(self, source: str, instance: Instance, migration: MigrationRef) -> None:
        """On the source: remove what is left of the old instance."""

    @remote.cast(server="dest")
    def revert_resize(self, dest: str, instance: Instance, migration: MigrationRef) -> None:
        """On the destination: destroy the new copy, then let the source finish the revert."""

    @remote.cast(server="source")
    def finish_revert_resize(
        self, source: str, instance: Instance, migration: MigrationRef
    ) -> None:
        """On the source: start again with the old flavor and disks."""

    # -- host information ----------------------------------------------------------------------
    # NOTE: a short timeout, since the API waits for it.
    @remote.call(server="host", timeout=10.0)
    def get_host_uptime(self, host: str) -> str:
        """The host's ``uptime`` line (``os-hypervisors/{id}/uptime``)."""

    # -- consoles --------------------------------------------------------------------------------
    @remote.call(server="host")
    def get_vnc_console(
        self, host: str, instance: Instance, console_type: str
    ) -> ConsoleConnectInfo:
        """Where the running instance's VNC server is on ``host`` (plus the host's noVNC URL
        base); ``Invalid`` (400) for an unavailable console type, ``Conflict`` (409) when the
        instance does not run there."""

    # -- network dataplane (fanouts to every agent, from the network services) ----------------
    @remote.fanout
    def security_groups_changed(self, security_group_ids: list[str], port_ids: list[str]) -> None:
        """Hosts re-render the rules of their ports in these groups and of these ports."""

    @remote.fanout
    def networks_changed(self, network_ids: list[str]) -> None:
        """Hosts re-read these networks (and remove those that were deleted)."""
