"""The image cache manager (Nova's ``imagecache``): remove base images no instance uses any more.

Every ``[image_cache] manager_interval`` seconds the compute agent passes the images its
instances on this host were built from (image, kernel, ramdisk; from the database). The driver
adds what its own files say is in use: the base images that disks in the instance directories
are overlays on (their qcow2 backing file), which covers a guest whose instance record is gone
and the disks a resize keeps in ``resize-old/``. An image in use gets its last-use time set to
now (Nova marks it the same way); an image nobody used for at least
``remove_unused_original_minimum_age_seconds`` is removed, under the cache's per-image lock and
never while a build holds it pinned (``ImageCache.pinned``), so a build that wants it later
downloads it again.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from pathlib import Path

from stratus.virt.qemu.disks import ImageCache
from stratus.virt.qemu.layout import InstanceDir

LOG = logging.getLogger(__name__)

QCOW2_MAGIC = b"QFI\xfb"
MAX_BACKING_NAME = 1023  # QEMU's limit for the backing file name in a qcow2 header


def backing_file(path: Path) -> str | None:
    """The backing file named in a qcow2 header (None: no such file, not qcow2, no backing)."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
            if len(header) < 20 or header[:4] != QCOW2_MAGIC:
                return None
            offset, size = struct.unpack(">QI", header[8:20])
            if not offset or not 0 < size <= MAX_BACKING_NAME:
                return None
            f.seek(offset)
            name = f.read(size)
    except OSError:
        return None
    return name.decode(errors="replace")


def _disks(instances_path: Path) -> Iterator[Path]:
    if not instances_path.is_dir():
        return
    for entry in instances_path.iterdir():
        if entry.name.startswith("_") or not entry.is_dir():
            continue  # NOTE: _base is the cache itself
        d = InstanceDir.of(instances_path, instances_path, entry.name)
        yield d.disk
        yield d.resize_backup / d.disk.name


def based_on(instances_path: Path) -> set[str]:
    """Names of the base images that disks in the instance directories are overlays on."""
    found = set()
    for disk in _disks(instances_path):
        backing = backing_file(disk)
        if backing:
            found.add(Path(backing).name)
    return found


def evict(cache: ImageCache, in_use: set[str], min_age: float, now: float) -> list[str]:
    """Mark the images in ``in_use`` used at ``now``; remove the others unused for ``min_age``
    seconds or more. Returns the removed image ids."""
    removed = []
    for image_id in cache.cached_ids():
        if image_id in in_use:
            cache.mark_used(image_id, now)
            continue
        try:
            idle = now - cache.last_used(image_id)
        except FileNotFoundError:
            continue  # NOTE: removed meanwhile
        if idle < min_age:
            continue
        if cache.remove(image_id):
            LOG.info("image cache: removed base image %s (unused for %.0f s)", image_id, idle)
            removed.append(image_id)
    return removed


__all__ = ["backing_file", "based_on", "evict"]
