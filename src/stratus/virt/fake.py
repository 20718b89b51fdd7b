"""``FakeDriver``: a complete in-memory hypervisor for functional tests and scale tests.

Every method of :class:`~stratus.virt.driver.VirtDriver` is implemented against a dictionary of
fake VMs (one ``FakeDriver`` per compute host), so the compute agent, the conductor and the API
run their real code paths without QEMU. Thread-safe: one lock guards the VMs.

Failure injection (documented contract, used by tests of rescheduling and error handling):

* ``fake:fail_build`` — in the instance's ``metadata`` or its flavor's ``extra_specs``: a comma
  separated list of host names (``*`` = every host). ``spawn`` on one of those hosts raises
  :class:`~stratus.virt.driver.DriverError` naming the host, and leaves nothing behind.
* ``fake:fail_ops`` — same places: a comma separated list of driver method names (``power_off``,
  ``power_on``, ``reboot``, ``pause``, ``snapshot``, ``migrate_disk_and_power_off``,
  ``finish_migration``, ``confirm_migration``, ``revert_migration``, ``destroy`` …) that raise
  ``DriverError`` on any host.

VNC consoles: ``get_vnc_console`` of a running VM names ``<vnc_dir>/<uuid>.sock`` (``vnc_dir``
defaults to a per-user directory under the temp dir), where nothing listens unless a test
starts a VNC server there — the console proxy then works end to end without QEMU.

Tests can also change the "hypervisor" behind Stratus's back: :meth:`FakeDriver.external_stop`
(the guest shut itself down) and :meth:`FakeDriver.external_destroy` (the VM vanished).

``[fake_driver]`` gives the host's size (``vcpus``, ``memory_mb``, ``local_gb``) and
``spawn_delay`` (seconds ``spawn`` takes, to make builds observable).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import ClassVar

from stratus.common.config import FakeDriverSection
from stratus.objects import states
from stratus.objects.compute_node import HostResources
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.network import VIF
from stratus.virt.driver import (
    Capabilities,
    DriverError,
    InstanceInfo,
    InstanceNotFound,
    Snapshot,
    VirtDriver,
)

FAIL_BUILD_KEY = "fake:fail_build"
FAIL_OPS_KEY = "fake:fail_ops"
SNAPSHOT_SIZE = 64 * 1024
_RUNNING = states.RUNNING
_SHUTDOWN = states.SHUTDOWN


@dataclasses.dataclass
class FakeVM:
    """What the fake hypervisor knows about one instance."""

    uuid: str
    name: str
    flavor: Flavor
    image_id: str | None
    power_state: int
    macs: list[str]
    console: list[str] = dataclasses.field(default_factory=list)
    old_flavor: Flavor | None = None  # kept from ``finish_migration`` until confirm/revert
    migrating_to: str | None = None  # set by ``migrate_disk_and_power_off``


def _csv(value: str | None) -> set[str]:
    return {v.strip() for v in (value or "").split(",") if v.strip()}


def _injected(instance: Instance, key: str) -> set[str]:
    return _csv(instance.metadata.get(key)) | _csv(instance.flavor.extra_specs.get(key))


class FakeDriver(VirtDriver):
    """An in-memory hypervisor; see the module docstring for its test hooks."""

    name: ClassVar[str] = "fake"
    capabilities: ClassVar[Capabilities] = Capabilities(supports_vnc_console=True)

    def __init__(self, conf: FakeDriverSection | None = None, host_ip: str | None = None) -> None:
        self.conf = conf or FakeDriverSection()
        self.host_ip = host_ip
        self.host = ""
        # nothing listens here unless a test does (see the module docstring)
        self.vnc_dir = Path(tempfile.gettempdir()) / f"stratus-fake-vnc-{os.getuid()}"
        self._vms: dict[str, FakeVM] = {}
        self._lock = threading.Lock()

    @property
    def hypervisor_type(self) -> str:
        return "fake"

    # -- host --------------------------------------------------------------------------------
    def init_host(self, host: str) -> None:
        self.host = host

    def get_host_resources(self) -> HostResources:
        with self._lock:
            running = len(self._vms)
        return HostResources(
            host=self.host,
            hypervisor_hostname=self.host,
            hypervisor_type=self.hypervisor_type,
            host_ip=self.host_ip,
            vcpus=self.conf.vcpus,
            memory_mb=self.conf.memory_mb,
            local_gb=self.conf.local_gb,
            cpu_info={"model": "fake", "vendor": "Stratus"},
            disk_available_least=self.conf.local_gb,
            running_vms=running,
        )

    def list_instance_uuids(self) -> list[str]:
        with self._lock:
            return list(self._vms)

    # -- helpers -----------------------------------------------------------------------------
    def _vm(self, instance: Instance) -> FakeVM:
        vm = self._vms.get(instance.uuid)
        if vm is None:
            raise InstanceNotFound(
                f"Instance {instance.uuid} does not exist on fake host {self.host}."
            )
        return vm

    def _maybe_fail(self, instance: Instance, op: str) -> None:
        if op in _injected(instance, FAIL_OPS_KEY):
            raise DriverError(f"fake driver: injected failure of {op} on host {self.host}")

    def _log(self, vm: FakeVM, line: str) -> None:
        stamp = time.monotonic() % 100000
        vm.console.append(f"[{stamp:12.6f}] {line}")

    def _boot_log(self, vm: FakeVM) -> None:
        self._log(vm, f"Linux version 6.1.0-fake (stratus@{self.host}) #1 SMP")
        self._log(vm, f"Memory: {vm.flavor.memory_mb} MB, CPUs: {vm.flavor.vcpus}")
        for mac in vm.macs:
            self._log(vm, f"eth: link up, address {mac}")
        self._log(vm, "cloud-init: instance booted")
        self._log(vm, f"{vm.name} login:")

    # -- lifecycle ---------------------------------------------------------------------------
    def spawn(
        self,
        instance: Instance,
        image: ImageMeta | None,
        network_info: list[VIF],
        power_on: bool = True,
    ) -> None:
        fail_hosts = _injected(instance, FAIL_BUILD_KEY)
        if "*" in fail_hosts or self.host in fail_hosts:
            raise DriverError(
                f"fake driver: build failure injected for host {self.host} ({FAIL_BUILD_KEY})"
            )
        self._maybe_fail(instance, "spawn")
        if self.conf.spawn_delay > 0:
            time.sleep(self.conf.spawn_delay)
        vm = FakeVM(
            uuid=instance.uuid,
            name=instance.hostname or instance.display_name,
            flavor=instance.flavor,
            image_id=image.id if image is not None else (instance.image_ref or None),
            power_state=_RUNNING if power_on else _SHUTDOWN,
            macs=[v.mac_address for v in network_info],
        )
        if power_on:
            self._boot_log(vm)
        with self._lock:
            self._vms[instance.uuid] = vm

    def destroy(
        self, instance: Instance, network_info: list[VIF], destroy_disks: bool = True
    ) -> None:
        self._maybe_fail(instance, "destroy")
        with self._lock:
            self._vms.pop(instance.uuid, None)

    def get_info(self, instance: Instance) -> InstanceInfo:
        with self._lock:
            vm = self._vm(instance)
            return InstanceInfo(vm.power_state, vm.flavor.memory_mb, vm.flavor.vcpus)

    def power_off(self, instance: Instance, timeout: float = 60) -> None:
        self._maybe_fail(instance, "power_off")
        with self._lock:
            vm = self._vm(instance)
            if vm.power_state != _SHUTDOWN:
                self._log(vm, "reboot: Power down")
            vm.power_state = _SHUTDOWN

    def power_on(self, instance: Instance, network_info: list[VIF]) -> None:
        self._maybe_fail(instance, "power_on")
        with self._lock:
            vm = self._vm(instance)
            if vm.power_state != _RUNNING:
                vm.power_state = _RUNNING
                self._boot_log(vm)

    def reboot(self, instance: Instance, network_info: list[VIF], reboot_type: str) -> None:
        if reboot_type not in ("SOFT", "HARD"):
            raise DriverError(f"unknown reboot type {reboot_type!r}")
        self._maybe_fail(instance, "reboot")
        with self._lock:
            vm = self._vm(instance)
            if reboot_type == "SOFT" and vm.power_state != _RUNNING:
                raise DriverError("a soft reboot needs a running guest")
            self._log(vm, f"reboot: {'Restarting system' if reboot_type == 'SOFT' else 'reset'}")
            vm.power_state = _RUNNING
            self._boot_log(vm)

    def _set_power(self, instance: Instance, op: str, want: set[int], new: int) -> None:
        self._maybe_fail(instance, op)
        with self._lock:
            vm = self._vm(instance)
            if vm.power_state == new:
                return
            if vm.power_state not in want:
                name = states.POWER_STATE_NAMES.get(vm.power_state, str(vm.power_state))
                raise DriverError(f"cannot {op} instance {instance.uuid}: it is {name}")
            vm.power_state = new
            self._log(vm, f"fake hypervisor: {op}")

    def pause(self, instance: Instance) -> None:
        self._set_power(instance, "pause", {_RUNNING}, states.PAUSED_POWER)

    def unpause(self, instance: Instance) -> None:
        self._set_power(instance, "unpause", {states.PAUSED_POWER}, _RUNNING)

    def suspend(self, instance: Instance) -> None:
        self._set_power(
            instance, "suspend", {_RUNNING, states.PAUSED_POWER}, states.SUSPENDED_POWER
        )

    def resume(self, instance: Instance, network_info: list[VIF]) -> None:
        self._set_power(instance, "resume", {states.SUSPENDED_POWER}, _RUNNING)

    # -- snapshot and console ----------------------------------------------------------------
    def snapshot(self, instance: Instance, workdir: Path) -> Snapshot:
        """A ``raw`` file of ``SNAPSHOT_SIZE`` bytes: a text header, then zeros."""
        self._maybe_fail(instance, "snapshot")
        with self._lock:
            vm = self._vm(instance)
            header = (
                f"STRATUS FAKE DISK\ninstance={vm.uuid}\nimage={vm.image_id}\n"
                f"flavor={vm.flavor.name}\n"
            ).encode()
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / f"{instance.uuid}-{uuid.uuid4().hex[:8]}.raw"
        with open(path, "wb") as f:
            f.write(header.ljust(SNAPSHOT_SIZE, b"\0"))
        return Snapshot(path=path, disk_format="raw", container_format="bare")

    def get_console_output(self, instance: Instance) -> str:
        with self._lock:
            return "\n".join(self._vm(instance).console) + "\n"

    def get_vnc_console(self, instance: Instance) -> Path:
        with self._lock:
            if self._vm(instance).power_state != _RUNNING:
                raise InstanceNotFound(f"Instance {instance.uuid} is not running.")
        return self.vnc_socket_path(instance.uuid)

    def vnc_socket_path(self, instance_uuid: str) -> Path:
        return self.vnc_dir / f"{instance_uuid}.sock"

    # -- resize / cold migration -------------------------------------------------------------
    def migrate_disk_and_power_off(
        self, instance: Instance, dest_host: str, new_flavor: Flavor
    ) -> None:
        self._maybe_fail(instance, "migrate_disk_and_power_off")
        with self._lock:
            vm = self._vm(instance)
            vm.power_state = _SHUTDOWN
            vm.migrating_to = dest_host
            self._log(vm, f"reboot: Power down (migrating to {dest_host})")

    def finish_migration(
        self, instance: Instance, network_info: list[VIF], new_flavor: Flavor, power_on: bool
    ) -> None:
        self._maybe_fail(instance, "finish_migration")
        with self._lock:
            vm = self._vms.get(instance.uuid)
            if vm is None:  # cross-host: the disks "arrive" here
                vm = FakeVM(
                    uuid=instance.uuid,
                    name=instance.hostname or instance.display_name,
                    flavor=instance.flavor,
                    image_id=instance.image_ref or None,
                    power_state=_SHUTDOWN,
                    macs=[v.mac_address for v in network_info],
                )
                self._vms[instance.uuid] = vm
            vm.old_flavor = vm.flavor
            vm.flavor = new_flavor
            vm.migrating_to = None
            if power_on:
                vm.power_state = _RUNNING
                self._boot_log(vm)

    def confirm_migration(self, instance: Instance, network_info: list[VIF]) -> None:
        """Source side: a same-host resize keeps the VM; otherwise the old copy goes."""
        self._maybe_fail(instance, "confirm_migration")
        with self._lock:
            vm = self._vms.get(instance.uuid)
            if vm is None:
                return
            if vm.migrating_to is not None and vm.migrating_to != self.host:
                del self._vms[instance.uuid]
                return
            vm.old_flavor = None

    def revert_migration(self, instance: Instance, network_info: list[VIF], power_on: bool) -> None:
        self._maybe_fail(instance, "revert_migration")
        with self._lock:
            vm = self._vm(instance)
            if vm.old_flavor is not None:  # same host: finish_migration changed this VM
                vm.flavor = vm.old_flavor
                vm.old_flavor = None
            vm.migrating_to = None
            if power_on and vm.power_state != _RUNNING:
                vm.power_state = _RUNNING
                self._boot_log(vm)
            elif not power_on:
                vm.power_state = _SHUTDOWN

    # -- test hooks: things that happen outside Stratus -------------------------------------
    def external_stop(self, instance_uuid: str) -> None:
        """The guest shut itself down (``poweroff`` inside the VM)."""
        with self._lock:
            vm = self._vms[instance_uuid]
            vm.power_state = _SHUTDOWN
            self._log(vm, "reboot: Power down (by the guest)")

    def external_destroy(self, instance_uuid: str) -> None:
        """The VM vanished from the hypervisor (deleted by hand, host reinstalled...)."""
        with self._lock:
            self._vms.pop(instance_uuid, None)

    def vm(self, instance_uuid: str) -> FakeVM | None:
        """A copy of what the fake hypervisor holds for ``instance_uuid`` (for assertions)."""
        with self._lock:
            vm = self._vms.get(instance_uuid)
            return dataclasses.replace(vm, console=list(vm.console)) if vm else None
