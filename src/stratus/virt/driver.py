"""The hypervisor plug-in interface every virt driver implements (fake, qemu).

Callers are the compute agent's operations (``stratus.compute.ops``), one call at a time per
instance. Drivers never touch the database or the bus; hypervisor-native ids never leave them.
Every method that removes something (``destroy``, ``unplug``) succeeds when it is already gone.
A driver that cannot do something raises ``NotSupported`` and says so in ``capabilities``.
"""

from __future__ import annotations

import abc
import dataclasses
from pathlib import Path
from typing import ClassVar

from stratus.common.exceptions import StratusError
from stratus.objects.compute_node import HostResources
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.network import VIF
from stratus.virt import hardware


class NotSupported(StratusError):
    """The driver cannot perform this operation (see its ``capabilities``)."""

    message = "This operation is not supported by the hypervisor driver."


class InstanceNotFound(StratusError):
    """The hypervisor does not know the instance."""

    message = "The instance does not exist on this hypervisor."


class DriverError(StratusError):
    """The hypervisor failed; ``message`` says why in terms an operator can act on."""

    message = "The hypervisor failed to perform the operation."


@dataclasses.dataclass(frozen=True)
class Capabilities:
    supports_pause: bool = True
    supports_suspend: bool = True
    supports_snapshot: bool = True
    supports_resize: bool = True
    supports_soft_reboot: bool = True
    supports_console_output: bool = True
    supports_vnc_console: bool = False


@dataclasses.dataclass(frozen=True)
class InstanceInfo:
    """What the hypervisor says about an instance right now."""

    power_state: int
    memory_mb: int = 0
    vcpus: int = 0


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A snapshot of an instance's root disk, ready to upload to the image service."""

    path: Path
    disk_format: str
    container_format: str = "bare"


class VirtDriver(abc.ABC):
    """One hypervisor on one host."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities] = Capabilities()

    @property
    @abc.abstractmethod
    def hypervisor_type(self) -> str:
        """As shown by ``openstack hypervisor show`` (e.g. ``QEMU``, ``KVM``, ``fake``)."""

    @abc.abstractmethod
    def init_host(self, host: str) -> None:
        """Called once when the agent starts, before any other method."""

    @abc.abstractmethod
    def get_host_resources(self) -> HostResources:
        """Total vCPUs, memory and disk of this host (usage is tracked by the scheduler)."""

    @abc.abstractmethod
    def list_instance_uuids(self) -> list[str]:
        """Every instance the hypervisor has, running or not."""

    @abc.abstractmethod
    def spawn(
        self,
        instance: Instance,
        image: ImageMeta | None,
        network_info: list[VIF],
        power_on: bool = True,
    ) -> None:
        """Create and (if ``power_on``) start the instance. On failure, leave nothing behind."""

    @abc.abstractmethod
    def destroy(
        self, instance: Instance, network_info: list[VIF], destroy_disks: bool = True
    ) -> None:
        """Stop and remove the instance and (if asked) its disks. Idempotent."""

    @abc.abstractmethod
    def get_info(self, instance: Instance) -> InstanceInfo:
        """Raises ``InstanceNotFound`` if the hypervisor does not know it."""

    @abc.abstractmethod
    def power_off(self, instance: Instance, timeout: float = 60) -> None:
        """Shut down (gracefully within ``timeout``, then hard). Idempotent."""

    @abc.abstractmethod
    def power_on(self, instance: Instance, network_info: list[VIF]) -> None:
        """Start a stopped instance. Idempotent."""

    @abc.abstractmethod
    def reboot(self, instance: Instance, network_info: list[VIF], reboot_type: str) -> None:
        """``SOFT`` asks the guest; ``HARD`` resets it."""

    def get_host_uptime(self) -> str:
        """The host's ``uptime`` line (``os-hypervisors/{id}/uptime``)."""
        return hardware.host_uptime()

    def pause(self, instance: Instance) -> None:
        raise NotSupported()

    def unpause(self, instance: Instance) -> None:
        raise NotSupported()

    def suspend(self, instance: Instance) -> None:
        raise NotSupported()

    def resume(self, instance: Instance, network_info: list[VIF]) -> None:
        raise NotSupported()

    def snapshot(self, instance: Instance, workdir: Path) -> Snapshot:
        """Write a root-disk snapshot under ``workdir``; the caller uploads and removes it."""
        raise NotSupported()

    def get_console_output(self, instance: Instance) -> str:
        raise NotSupported()

    def manage_image_cache(self, in_use: set[str], min_age: float) -> list[str]:
        """Called by the agent every ``[image_cache] manager_interval`` with the image ids the
        instances on this host use: remove cached images unused for ``min_age`` seconds, never
        one in use. Returns the removed ids. Drivers without an image cache have nothing to do."""
        return []

    def get_vnc_console(self, instance: Instance) -> Path:
        """The unix socket of the instance's VNC server, which must be running now
        (``InstanceNotFound`` otherwise). Drivers with ``supports_vnc_console`` implement it."""
        raise NotSupported()

    def vnc_socket_path(self, instance_uuid: str) -> Path:
        """Where the VNC server of instance ``instance_uuid`` listens on this host, checking
        nothing (pure; works before ``init_host``). The console proxy computes the socket from
        a validated token's instance with it, never from what a client sends."""
        raise NotSupported()

    def migrate_disk_and_power_off(
        self, instance: Instance, dest_host: str, new_flavor: Flavor
    ) -> None:
        """Resize/migration, source side: stop the instance and make its disks available to
        ``dest_host`` (same host: keep them in place)."""
        raise NotSupported()

    def finish_migration(
        self, instance: Instance, network_info: list[VIF], new_flavor: Flavor, power_on: bool
    ) -> None:
        """Resize/migration, destination side: start the instance with ``new_flavor``, keeping
        what is needed to revert until ``confirm_migration``."""
        raise NotSupported()

    def confirm_migration(self, instance: Instance, network_info: list[VIF]) -> None:
        """Drop what was kept for a revert (old disks on the source). Idempotent."""
        raise NotSupported()

    def revert_migration(self, instance: Instance, network_info: list[VIF], power_on: bool) -> None:
        """Back to the old flavor and the old disks, as before the resize."""
        raise NotSupported()
