"""Same-host cold resize: stop, keep the old disks and spec, grow, start with the new flavor.

``migrate_disk_and_power_off`` copies the disks and ``domain.json`` into ``resize-old/``;
``finish_migration`` grows the root disk, recreates ephemeral/swap disks whose size changed and
starts the instance with the new vCPUs and memory (VERIFY_RESIZE); ``confirm_migration`` drops
``resize-old/``; ``revert_migration`` puts it back. Each step is idempotent so the conductor can
retry it.
"""

from __future__ import annotations

import shutil

from stratus.objects.flavor import Flavor
from stratus.virt.driver import DriverError
from stratus.virt.qemu import disks
from stratus.virt.qemu.build import disk_list
from stratus.virt.qemu.disks import GiB
from stratus.virt.qemu.domain import DomainSpec
from stratus.virt.qemu.layout import InstanceDir


def _files(d: InstanceDir) -> list[str]:
    return [p.name for p in (d.disk, d.ephemeral, d.swap, d.spec) if p.exists()]


def keep_old(d: InstanceDir) -> None:
    """Copy the disks and spec into ``resize-old/`` (once: a retry keeps the first copy)."""
    backup = d.resize_backup
    if (backup / d.spec.name).exists():
        return
    shutil.rmtree(backup, ignore_errors=True)
    staging = backup.with_name(backup.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name in _files(d):
        disks.copy_file(d.root / name, staging / name)
    staging.replace(backup)


def apply_flavor(d: InstanceDir, spec: DomainSpec, flavor: Flavor, qemu_img: str) -> DomainSpec:
    """Grow/recreate the disks for ``flavor``; returns (and saves) the new spec."""
    if not (d.resize_backup / d.spec.name).exists():
        raise DriverError(f"instance {spec.uuid} has no disks kept from before the resize")
    if flavor.root_gb:
        disks.resize(d.disk, flavor.root_gb * GiB, qemu_img)
    if flavor.ephemeral_gb:
        exists = d.ephemeral.exists()
        size = disks.virtual_size(d.ephemeral, "qcow2", qemu_img) if exists else 0
        if size != flavor.ephemeral_gb * GiB:
            d.ephemeral.unlink(missing_ok=True)
            disks.create_blank(d.ephemeral, flavor.ephemeral_gb, qemu_img)
    else:
        d.ephemeral.unlink(missing_ok=True)
    swap_bytes = flavor.swap * 1024 * 1024
    if not d.swap.exists() or d.swap.stat().st_size != swap_bytes:
        d.swap.unlink(missing_ok=True)
        if flavor.swap:
            disks.create_swap(d.swap, flavor.swap)
    new = spec.model_copy(
        update={"memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus, "disks": disk_list(d)}
    )
    new.save(d.spec)
    return new


def restore_old(d: InstanceDir) -> DomainSpec:
    """Put the pre-resize disks and spec back; returns that spec."""
    backup = d.resize_backup
    if not (backup / d.spec.name).exists():
        raise DriverError("there is nothing to revert to: no disks kept from before the resize")
    kept = {p.name for p in backup.iterdir()}
    for path in (d.disk, d.ephemeral, d.swap):
        if path.name not in kept:
            path.unlink(missing_ok=True)
    for name in kept:
        (backup / name).replace(d.root / name)
    backup.rmdir()
    return DomainSpec.load(d.spec)


def drop_old(d: InstanceDir) -> None:
    shutil.rmtree(d.resize_backup, ignore_errors=True)
