"""``QemuDriver``: the ``VirtDriver`` facade over the aspect modules of this package.

One daemonized QEMU per instance, controlled over its QMP socket; operations on one instance
are serialised by a per-instance lock (QMP serves one client at a time). The driver keeps no
state in memory that it cannot rebuild from disk: ``init_host`` finds running instances again
by their pidfiles, so the compute agent can restart without touching its guests.

The image fetcher (the agent's image client) and the network plug-in (the bridge backend) are
constructor arguments; without them ``spawn`` fails with a clear ``DriverError``. QEMU runs as
an unprivileged user under a seccomp filter where the host allows it (``confine.py``, decided in
``init_host``); its serial output goes to a capped, rotated log (``console_log.py``); unused base
images leave the cache (``imagecache.py``, driven by the agent's periodic task).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

from stratus.common.config import Config
from stratus.common.revert import Reverter
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
    NotSupported,
    Snapshot,
    VirtDriver,
)
from stratus.virt.qemu import accel, build, confine, console_log, disks, host, imagecache, resize
from stratus.virt.qemu.disks import Fetcher, ImageCache
from stratus.virt.qemu.domain import Accel, DomainSpec
from stratus.virt.qemu.layout import InstanceDir
from stratus.virt.qemu.runtime import Runtime, power_state_of
from stratus.virt.qemu.vifs import VifPlugger

LOG = logging.getLogger(__name__)

CONSOLE_MAX_BYTES = 100 * 1024  # what Nova returns at most
SOFT_REBOOT_TIMEOUT = 120.0  # Nova's [libvirt] wait_soft_reboot_seconds


def default_run_dir(instances_path: Path) -> Path:
    """Short, per-deployment directory for sockets and pidfiles (unix socket length limit)."""
    tag = hashlib.sha1(str(instances_path.resolve()).encode()).hexdigest()[:8]
    base = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    return base / "stratus" / f"qemu-{tag}"


class QemuDriver(VirtDriver):
    name: ClassVar[str] = "qemu"
    capabilities: ClassVar[Capabilities] = Capabilities(supports_vnc_console=True)

    def __init__(
        self,
        instances_path: Path,
        *,
        virt_type: str = "auto",
        fetch_image: Fetcher | None = None,
        plugger: VifPlugger | None = None,
        run_dir: Path | None = None,
        qemu: str = "qemu-system-x86_64",
        qemu_img: str = "qemu-img",
        probe_kernel: Path | None = None,
        host_ip: str | None = None,
        qemu_user: str = confine.DEFAULT_USER,
        seccomp_sandbox: bool = True,
        console_log_max_size: int = console_log.DEFAULT_MAX_SIZE,
        console_log_max_backups: int = console_log.DEFAULT_MAX_BACKUPS,
    ) -> None:
        # NOTE: absolute: QEMU runs in "/" and gets these paths
        self.instances_path = instances_path.absolute()
        self.run_dir = (run_dir or default_run_dir(instances_path)).absolute()
        self.virt_type = virt_type
        self.fetch_image = fetch_image
        self.plugger = plugger
        self.qemu = qemu
        self.probe_kernel = probe_kernel
        self.host_ip = host_ip
        self.cache = ImageCache(self.instances_path / "_base", qemu_img)
        self.qemu_user = qemu_user
        self.seccomp_sandbox = seccomp_sandbox
        self.console = console_log.ConsolePump(console_log_max_size, console_log_max_backups)
        self.runtime = Runtime(qemu, plugger.exec_prefix if plugger else list, self.console)
        # the image cache manager's clock (tests move it)
        self.clock: Callable[[], float] = time.time
        self.accel: Accel = "tcg"
        self.decision: accel.Decision | None = None
        self.host = ""
        self._qemu_version = ""
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @classmethod
    def from_config(
        cls, cfg: Config, fetch_image: Fetcher | None = None, plugger: VifPlugger | None = None
    ) -> QemuDriver:
        return cls(
            Path(cfg.compute.instances_path),
            virt_type=cfg.compute.virt_type,
            fetch_image=fetch_image,
            plugger=plugger,
            qemu_img=cfg.image.qemu_img,
            host_ip=cfg.default.my_ip or None,
            qemu_user=cfg.qemu.user,
            seccomp_sandbox=cfg.qemu.seccomp_sandbox,
            console_log_max_size=cfg.qemu.console_log_max_size,
            console_log_max_backups=cfg.qemu.console_log_max_backups,
        )

    # ------------------------------------------------------------------ helpers

    def _dir(self, uuid: str) -> InstanceDir:
        return InstanceDir.of(self.instances_path, self.run_dir, uuid)

    @contextlib.contextmanager
    def _locked(self, uuid: str) -> Iterator[InstanceDir]:
        with self._locks_guard:
            lock = self._locks.setdefault(uuid, threading.Lock())
        with lock:
            yield self._dir(uuid)

    def _spec(self, d: InstanceDir, uuid: str) -> DomainSpec:
        try:
            return DomainSpec.load(d.spec)
        except FileNotFoundError:
            raise InstanceNotFound(f"instance {uuid} does not exist on this host") from None

    def _replug(self, spec: DomainSpec, d: InstanceDir, vifs: list[VIF]) -> DomainSpec:
        """Make sure the taps exist (they do not survive a host reboot); update the spec."""
        if not vifs:
            return spec
        nics = build.plug_all(self.plugger, spec.uuid, vifs)
        if nics != spec.nics:
            spec = spec.model_copy(update={"nics": nics})
            spec.save(d.spec)
        return spec

    def _running(self, d: InstanceDir, uuid: str) -> str:
        status = self.runtime.status(d, uuid)
        if status is None:
            raise DriverError(f"instance {uuid} is not running")
        return status

    # ------------------------------------------------------------------ host

    @property
    def hypervisor_type(self) -> str:
        return self.decision.hypervisor_type if self.decision else "QEMU"

    def init_host(self, host: str) -> None:
        self.host = host
        self.instances_path.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._qemu_version = accel.qemu_version(self.qemu)
        self.decision = accel.select_accel(
            self.virt_type, self.qemu, self.instances_path, self.probe_kernel
        )
        self.accel = "kvm" if self.decision.accel == "kvm" else "tcg"
        self.runtime.confinement = confine.decide(self.qemu_user, self.seccomp_sandbox, self.qemu)
        running = [u for u in self.list_instance_uuids() if self.runtime.pid(self._dir(u), u)]
        for uuid in running:
            self.runtime.attach_console(self._dir(uuid), uuid)
        LOG.info(
            "qemu driver on %s: %s (%s); %d instance(s), %d running (re-attached)",
            host, self.hypervisor_type, self._qemu_version,
            len(self.list_instance_uuids()), len(running),
        )  # fmt: skip

    def get_host_resources(self) -> HostResources:
        running = sum(
            1 for u in self.list_instance_uuids() if self.runtime.pid(self._dir(u), u) is not None
        )
        return host.host_resources(
            self.host, self.instances_path, self.hypervisor_type, self._qemu_version,
            self.host_ip, running,
        )  # fmt: skip

    def list_instance_uuids(self) -> list[str]:
        if not self.instances_path.is_dir():
            return []
        return sorted(
            p.name for p in self.instances_path.iterdir() if (p / "domain.json").is_file()
        )

    # ------------------------------------------------------------------ create / delete

    def spawn(
        self,
        instance: Instance,
        image: ImageMeta | None,
        network_info: list[VIF],
        power_on: bool = True,
    ) -> None:
        with self._locked(instance.uuid) as d, Reverter() as revert:
            spec = build.prepare(
                instance, image, network_info, d, self.cache, self.fetch_image,
                self.plugger, self.accel, revert,
            )  # fmt: skip
            if power_on:
                revert.add(lambda: self.runtime.kill(d, instance.uuid))
                self.runtime.start(spec, d)
            revert.success()

    def destroy(
        self, instance: Instance, network_info: list[VIF], destroy_disks: bool = True
    ) -> None:
        with self._locked(instance.uuid) as d:
            self.runtime.kill(d, instance.uuid)
            taps = set()
            with contextlib.suppress(FileNotFoundError, ValueError):
                taps = {nic.tap for nic in DomainSpec.load(d.spec).nics}
            if self.plugger is not None:
                for tap in taps:
                    self.plugger.unplug(tap)
            shutil.rmtree(d.run, ignore_errors=True)
            if destroy_disks:
                shutil.rmtree(d.root, ignore_errors=True)

    def get_info(self, instance: Instance) -> InstanceInfo:
        with self._locked(instance.uuid) as d:
            spec = self._spec(d, instance.uuid)
            status = self.runtime.status(d, instance.uuid)
            power = power_state_of(status, d.saved_state.exists())
            return InstanceInfo(power_state=power, memory_mb=spec.memory_mb, vcpus=spec.vcpus)

    # ------------------------------------------------------------------ power

    def power_off(self, instance: Instance, timeout: float = 60) -> None:
        with self._locked(instance.uuid) as d:
            self._spec(d, instance.uuid)
            self.runtime.shutdown(d, instance.uuid, timeout)

    def power_on(self, instance: Instance, network_info: list[VIF]) -> None:
        with self._locked(instance.uuid) as d:
            spec = self._replug(self._spec(d, instance.uuid), d, network_info)
            self.runtime.start(spec, d)

    def reboot(self, instance: Instance, network_info: list[VIF], reboot_type: str) -> None:
        """SOFT: ACPI power-off, then start again (hard after 120 s); HARD: reset the VM."""
        with self._locked(instance.uuid) as d:
            spec = self._replug(self._spec(d, instance.uuid), d, network_info)
            status = self.runtime.status(d, instance.uuid)
            if status is not None and reboot_type.upper() == "HARD":
                with self.runtime.qmp(d) as qmp:
                    qmp.system_reset()
                    if qmp.status() != "running":
                        qmp.cont()
                return
            if status is not None:
                self.runtime.shutdown(d, instance.uuid, SOFT_REBOOT_TIMEOUT)
            d.saved_state.unlink(missing_ok=True)
            self.runtime.start(spec, d)

    def pause(self, instance: Instance) -> None:
        with self._locked(instance.uuid) as d:
            self._running(d, instance.uuid)
            with self.runtime.qmp(d) as qmp:
                qmp.stop()

    def unpause(self, instance: Instance) -> None:
        with self._locked(instance.uuid) as d:
            self._running(d, instance.uuid)
            with self.runtime.qmp(d) as qmp:
                qmp.cont()

    def suspend(self, instance: Instance) -> None:
        with self._locked(instance.uuid) as d:
            self._running(d, instance.uuid)
            self.runtime.save(d, instance.uuid)

    def resume(self, instance: Instance, network_info: list[VIF]) -> None:
        with self._locked(instance.uuid) as d:
            spec = self._replug(self._spec(d, instance.uuid), d, network_info)
            self.runtime.restore(spec, d)

    # ------------------------------------------------------------------ data

    def get_console_output(self, instance: Instance) -> str:
        d = self._dir(instance.uuid)
        self._spec(d, instance.uuid)
        data = console_log.read_tail(d.console_log, CONSOLE_MAX_BYTES, self.console.max_backups)
        return data.decode(errors="replace")

    def manage_image_cache(self, in_use: set[str], min_age: float) -> list[str]:
        in_use = in_use | imagecache.based_on(self.instances_path)
        return imagecache.evict(self.cache, in_use, min_age, self.clock())

    def get_vnc_console(self, instance: Instance) -> Path:
        with self._locked(instance.uuid) as d:
            self._spec(d, instance.uuid)
            if self.runtime.status(d, instance.uuid) is None:
                raise InstanceNotFound(f"instance {instance.uuid} is not running")
            return d.vnc_socket

    def vnc_socket_path(self, instance_uuid: str) -> Path:
        return self._dir(instance_uuid).vnc_socket

    def snapshot(self, instance: Instance, workdir: Path) -> Snapshot:
        """A standalone qcow2 of the root disk; a running guest is paused while it is copied."""
        with self._locked(instance.uuid) as d:
            self._spec(d, instance.uuid)
            workdir.mkdir(parents=True, exist_ok=True)
            dest = workdir / f"{instance.uuid}.qcow2"
            paused_here = False
            if self.runtime.status(d, instance.uuid) == "running":
                with self.runtime.qmp(d) as qmp:
                    qmp.stop()
                paused_here = True
            try:
                disks.export_qcow2(d.disk, dest, self.cache.qemu_img)
            finally:
                if paused_here:
                    with self.runtime.qmp(d) as qmp:
                        qmp.cont()
            return Snapshot(path=dest, disk_format="qcow2", container_format="bare")

    # ------------------------------------------------------------------ resize (same host)

    def migrate_disk_and_power_off(
        self, instance: Instance, dest_host: str, new_flavor: Flavor
    ) -> None:
        if dest_host and self.host and dest_host != self.host:
            raise NotSupported(
                "the qemu driver resizes on the same host only (no disk transfer between hosts)"
            )
        with self._locked(instance.uuid) as d:
            self._spec(d, instance.uuid)
            self.runtime.shutdown(d, instance.uuid, 60)
            resize.keep_old(d)

    def finish_migration(
        self, instance: Instance, network_info: list[VIF], new_flavor: Flavor, power_on: bool
    ) -> None:
        with self._locked(instance.uuid) as d:
            spec = self._spec(d, instance.uuid)
            self.runtime.kill(d, instance.uuid)
            spec = resize.apply_flavor(d, spec, new_flavor, self.cache.qemu_img)
            spec = self._replug(spec, d, network_info)
            if power_on:
                self.runtime.start(spec, d)

    def confirm_migration(self, instance: Instance, network_info: list[VIF]) -> None:
        with self._locked(instance.uuid) as d:
            resize.drop_old(d)

    def revert_migration(self, instance: Instance, network_info: list[VIF], power_on: bool) -> None:
        with self._locked(instance.uuid) as d:
            self._spec(d, instance.uuid)
            self.runtime.kill(d, instance.uuid)
            spec = self._replug(resize.restore_old(d), d, network_info)
            if power_on:
                self.runtime.start(spec, d)


__all__ = ["QemuDriver", "default_run_dir"]
