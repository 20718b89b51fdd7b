"""Everything a new instance needs before its QEMU starts: disks, kernel, taps, ``domain.json``.

``prepare`` is called by ``QemuDriver.spawn`` inside a ``Reverter``: each step registers its
undo, so a failure half way leaves the host as before (no disk, no tap, no directory).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from stratus.common.revert import Reverter
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.network import VIF
from stratus.virt import configdrive
from stratus.virt.driver import DriverError, NotSupported
from stratus.virt.qemu import disks
from stratus.virt.qemu.disks import CachedImage, Fetcher, GiB, ImageCache
from stratus.virt.qemu.domain import Accel, Disk, DomainSpec, KernelBoot, Nic
from stratus.virt.qemu.layout import InstanceDir
from stratus.virt.qemu.vifs import VifPlugger

# what Nova's libvirt driver appends for direct kernel boot without ``os_command_line``
DEFAULT_CMDLINE = "root=/dev/vda console=tty0 console=ttyS0"


def disk_list(d: InstanceDir) -> tuple[Disk, ...]:
    """The instance's disks in boot order, from the files present in its directory."""
    found = [Disk(path=str(d.disk), format="qcow2", serial="root")]
    if d.ephemeral.exists():
        found.append(Disk(path=str(d.ephemeral), format="qcow2", serial="ephemeral0"))
    if d.swap.exists():
        found.append(Disk(path=str(d.swap), format="raw", serial="swap"))
    if d.config_drive.exists():
        found.append(Disk(path=str(d.config_drive), format="raw", media="cdrom", readonly=True))
    return tuple(found)


def check_fits(flavor: Flavor, image: ImageMeta, base: CachedImage) -> int:
    """The root disk size in bytes; raises ``DriverError`` (Nova's wording) if it cannot fit."""
    root = flavor.root_gb * GiB
    if flavor.memory_mb < image.min_ram:
        raise DriverError(
            f"Flavor's memory is too small for requested image: {flavor.memory_mb} MB, "
            f"the image needs {image.min_ram} MB."
        )
    if root and flavor.root_gb < image.min_disk:
        raise DriverError(
            f"Flavor's disk is too small for requested image. Flavor disk is {root} bytes, "
            f"minimum disk is {image.min_disk * GiB} bytes."
        )
    if root and base.virtual_size > root:
        raise DriverError(
            f"Flavor's disk is too small for requested image. Flavor disk is {root} bytes, "
            f"image is {base.virtual_size} bytes."
        )
    return root or base.virtual_size


def _place(src: Path, dest: Path) -> None:
    """Put a cached kernel/ramdisk into the instance directory (hard link when possible)."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _kernel_ids(instance: Instance, image: ImageMeta) -> tuple[str, str]:
    """(kernel image id, ramdisk image id); empty strings when not given."""
    kernel_id = instance.kernel_id or image.properties.get("kernel_id", "")
    ramdisk_id = instance.ramdisk_id or image.properties.get("ramdisk_id", "")
    return kernel_id, ramdisk_id


def _kernel_boot(
    instance: Instance, image: ImageMeta, d: InstanceDir, cache: ImageCache, fetch: Fetcher
) -> KernelBoot | None:
    kernel_id, ramdisk_id = _kernel_ids(instance, image)
    if not kernel_id:
        return None
    _place(cache.get(kernel_id, fetch).path, d.kernel)
    initrd = None
    if ramdisk_id:
        _place(cache.get(ramdisk_id, fetch).path, d.ramdisk)
        initrd = str(d.ramdisk)
    cmdline = image.properties.get("os_command_line") or DEFAULT_CMDLINE
    return KernelBoot(kernel=str(d.kernel), initrd=initrd, cmdline=cmdline)


def plug_all(
    plugger: VifPlugger | None, uuid: str, vifs: list[VIF], revert: Reverter | None = None
) -> tuple[Nic, ...]:
    """Tap devices for ``vifs`` (created or kept); undo registered on ``revert``."""
    if vifs and plugger is None:
        raise DriverError("the qemu driver has no network plug-in configured for tap devices")
    nics = []
    for vif in vifs:
        assert plugger is not None
        tap = plugger.plug(uuid, vif)
        if revert is not None:
            revert.add(lambda tap=tap: plugger.unplug(tap))  # type: ignore[misc]
        nics.append(Nic(tap=tap, mac=vif.mac_address, mtu=vif.mtu))
    return tuple(nics)


def prepare(
    instance: Instance,
    image: ImageMeta | None,
    vifs: list[VIF],
    d: InstanceDir,
    cache: ImageCache,
    fetch: Fetcher | None,
    plugger: VifPlugger | None,
    accel: Accel,
    revert: Reverter,
) -> DomainSpec:
    """Create the instance's directory, disks and taps; write and return its spec."""
    if image is None:
        raise NotSupported("the qemu driver cannot boot from volume yet")
    if fetch is None:
        raise DriverError("the qemu driver has no image fetcher configured")
    if d.spec.exists():
        raise DriverError(f"instance {instance.uuid} already exists on this host")
    d.root.mkdir(parents=True, exist_ok=True)
    revert.add(lambda: shutil.rmtree(d.root, ignore_errors=True))
    # NOTE: pinned: the image cache manager must not remove a base between get and overlay
    with cache.pinned(image.id, *_kernel_ids(instance, image)):
        base = cache.get(image.id, fetch)
        if base.meta.disk_format in disks.KERNEL_FORMATS:
            raise DriverError(f"image {image.id} is a kernel or ramdisk, not a bootable disk")
        flavor = instance.flavor
        disks.create_overlay(base, d.disk, check_fits(flavor, image, base), cache.qemu_img)
        kernel_boot = _kernel_boot(instance, image, d, cache, fetch)
    if flavor.ephemeral_gb:
        disks.create_blank(d.ephemeral, flavor.ephemeral_gb, cache.qemu_img)
    if flavor.swap:
        disks.create_swap(d.swap, flavor.swap)
    if configdrive.required(instance, image):
        configdrive.make(configdrive.metadata_of(instance, vifs), d.config_drive)
    spec = DomainSpec(
        uuid=instance.uuid,
        memory_mb=flavor.memory_mb,
        vcpus=flavor.vcpus,
        accel=accel,
        disks=disk_list(d),
        nics=plug_all(plugger, instance.uuid, vifs, revert),
        kernel_boot=kernel_boot,
    )
    spec.save(d.spec)
    return spec
