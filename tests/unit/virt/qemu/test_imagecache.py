"""The image cache manager: unused base images leave the cache after the minimum age (a fake
clock), images in use never do, whether the database or the disks on the host say so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.unit.virt.qemu.test_disks import Fetcher, raw_image

from stratus.objects.image import ImageMeta
from stratus.virt.qemu import imagecache
from stratus.virt.qemu.disks import ImageCache
from stratus.virt.qemu.driver import QemuDriver
from stratus.virt.qemu.layout import InstanceDir

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "qemu-img"], capture_output=True).returncode != 0,
    reason="needs qemu-img (apt-get install qemu-utils)",
)

DAY = 86400.0
T0 = 1_700_000_000.0  # the fake clock starts in the past


def overlay(base: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base), str(dest)],
        check=True,
    )


def filled_cache(tmp_path: Path, *ids: str) -> tuple[ImageCache, Fetcher]:
    files = {i: (tmp_path / "src" / i, raw_image_at(tmp_path / "src" / i)) for i in ids}
    fetch = Fetcher({i: (path, meta) for i, (path, meta) in files.items()})
    cache = ImageCache(tmp_path / "instances" / "_base")
    for image_id in ids:
        cache.get(image_id, fetch)
        cache.mark_used(image_id, T0)
    return cache, fetch


def raw_image_at(path: Path) -> ImageMeta:
    path.parent.mkdir(parents=True, exist_ok=True)
    return raw_image(path, 64 * 1024)


def test_backing_file_is_read_from_the_qcow2_header(tmp_path: Path) -> None:
    cache, _ = filled_cache(tmp_path, "img")
    overlay(cache.base_dir / "img", tmp_path / "disk")
    assert imagecache.backing_file(tmp_path / "disk") == str(cache.base_dir / "img")
    assert imagecache.backing_file(cache.base_dir / "img") is None  # qcow2 without a backing
    (tmp_path / "raw").write_bytes(b"QFI")
    assert imagecache.backing_file(tmp_path / "raw") is None
    assert imagecache.backing_file(tmp_path / "missing") is None


def test_only_images_unused_for_the_minimum_age_are_removed(tmp_path: Path) -> None:
    cache, _ = filled_cache(tmp_path, "db", "disk", "resized", "old", "recent", "pinned")
    instances = tmp_path / "instances"
    overlay(cache.base_dir / "disk", InstanceDir.of(instances, tmp_path, "vm1").disk)
    resized = InstanceDir.of(instances, tmp_path, "vm2")
    overlay(cache.base_dir / "resized", resized.resize_backup / "disk")
    cache.mark_used("recent", T0 + DAY - 60)
    in_use = {"db"} | imagecache.based_on(instances)
    assert in_use == {"db", "disk", "resized"}

    now = T0 + DAY + 1
    with cache.pinned("pinned"):  # a build is basing a disk on it right now
        removed = imagecache.evict(cache, in_use, DAY, now)
    assert removed == ["old"]
    assert cache.cached_ids() == ["db", "disk", "pinned", "recent", "resized"]
    assert not (cache.base_dir / "old").exists()
    assert cache.last_used("db") == now  # in use: its age starts again

    later = now + DAY
    assert imagecache.evict(cache, set(), DAY, later) == [
        "db",
        "disk",
        "pinned",
        "recent",
        "resized",
    ]
    assert cache.cached_ids() == []


def test_a_cache_hit_counts_as_a_use(tmp_path: Path) -> None:
    cache, fetch = filled_cache(tmp_path, "img")
    cache.get("img", fetch)
    assert cache.last_used("img") > T0
    assert imagecache.evict(cache, set(), DAY, T0 + DAY) == []  # used just now, not at T0
    assert fetch.calls == ["img"]


def test_driver_removes_unused_bases_and_downloads_them_again(tmp_path: Path) -> None:
    cache, fetch = filled_cache(tmp_path, "kept", "gone")
    driver = QemuDriver(tmp_path / "instances", run_dir=tmp_path / "run")
    driver.clock = lambda: T0 + DAY
    overlay(cache.base_dir / "kept", InstanceDir.of(driver.instances_path, tmp_path, "vm1").disk)
    assert driver.manage_image_cache(set(), DAY) == ["gone"]
    assert driver.cache.cached_ids() == ["kept"]
    driver.cache.get("gone", fetch)  # wanted again: fetched again
    assert fetch.calls == ["kept", "gone", "gone"]
