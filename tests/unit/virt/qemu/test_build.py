"""Preparing a new instance: flavor/image fit checks and undo on failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.virt.qemu.test_disks import Fetcher, raw_image

from stratus.common.revert import Reverter
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.network import VIF
from stratus.virt.driver import DriverError, NotSupported
from stratus.virt.qemu import build
from stratus.virt.qemu.disks import CachedImage, GiB, ImageCache
from stratus.virt.qemu.layout import InstanceDir

FLAVOR = Flavor(flavorid="1", name="tiny", vcpus=1, memory_mb=256, root_gb=1)


def cached(size: int) -> CachedImage:
    return CachedImage(Path("/b/x"), "qcow2", ImageMeta(id="x"), size)


def test_fit_checks_use_novas_wording() -> None:
    assert build.check_fits(FLAVOR, ImageMeta(id="x"), cached(GiB // 2)) == GiB
    zero_root = FLAVOR.model_copy(update={"root_gb": 0})
    assert build.check_fits(zero_root, ImageMeta(id="x"), cached(123)) == 123
    with pytest.raises(DriverError, match=r"Flavor.s disk is too small.*image is 2147483648 bytes"):
        build.check_fits(FLAVOR, ImageMeta(id="x"), cached(2 * GiB))
    with pytest.raises(DriverError, match="minimum disk is 5368709120 bytes"):
        build.check_fits(FLAVOR, ImageMeta(id="x", min_disk=5), cached(1))
    with pytest.raises(DriverError, match=r"memory is too small.*needs 512 MB"):
        build.check_fits(FLAVOR, ImageMeta(id="x", min_ram=512), cached(1))


def test_disk_list_follows_the_files(tmp_path: Path) -> None:
    d = InstanceDir.of(tmp_path, tmp_path / "run", "u1")
    d.root.mkdir()
    assert [x.serial for x in build.disk_list(d)] == ["root"]
    d.ephemeral.touch()
    d.swap.touch()
    assert [(x.serial, x.format) for x in build.disk_list(d)] == [
        ("root", "qcow2"),
        ("ephemeral0", "qcow2"),
        ("swap", "raw"),
    ]


def instance() -> Instance:
    return Instance(
        uuid="u1", display_name="v", hostname="v", project_id="p", user_id="u",
        flavor=FLAVOR, vm_state=states.BUILDING,
    )  # fmt: skip


def test_failure_half_way_leaves_nothing(tmp_path: Path) -> None:
    meta = raw_image(tmp_path / "img")
    cache = ImageCache(tmp_path / "base")
    d = InstanceDir.of(tmp_path / "instances", tmp_path / "run", "u1")
    vif = VIF(port_id="p1", network_id="n", mac_address="fa:16:3e:00:00:01")
    with pytest.raises(DriverError, match="no network plug-in"), Reverter() as revert:
        build.prepare(
            instance(), meta.model_copy(update={"id": "img"}), [vif], d, cache,
            Fetcher({"img": (tmp_path / "img", meta)}), None, "tcg", revert,
        )  # fmt: skip
    assert not d.root.exists()


def test_boot_from_volume_and_missing_fetcher_are_clear(tmp_path: Path) -> None:
    d = InstanceDir.of(tmp_path, tmp_path / "run", "u1")
    cache = ImageCache(tmp_path / "base")
    with pytest.raises(NotSupported, match="boot from volume"), Reverter() as r:
        build.prepare(instance(), None, [], d, cache, None, None, "tcg", r)
    with pytest.raises(DriverError, match="no image fetcher"), Reverter() as r:
        build.prepare(instance(), ImageMeta(id="x"), [], d, cache, None, None, "tcg", r)
