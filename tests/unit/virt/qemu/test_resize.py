"""Same-host cold resize on disk files: keep the old disks, grow, revert or confirm."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.unit.virt.qemu.test_disks import pytestmark  # noqa: F401 (needs qemu-img)

from stratus.objects.flavor import Flavor
from stratus.virt.qemu import build, disks, resize
from stratus.virt.qemu.disks import GiB
from stratus.virt.qemu.domain import DomainSpec
from stratus.virt.qemu.layout import InstanceDir

BIG = Flavor(flavorid="2", name="big", vcpus=2, memory_mb=512, root_gb=2, ephemeral_gb=1, swap=8)


def size(path: Path) -> int:
    out = subprocess.run(
        ["qemu-img", "info", "-f", "qcow2", "--output=json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(json.loads(out)["virtual-size"])


def setup(tmp_path: Path) -> tuple[InstanceDir, DomainSpec]:
    d = InstanceDir.of(tmp_path, tmp_path / "run", "u1")
    d.root.mkdir()
    disks.create_blank(d.disk, 1)
    spec = DomainSpec(uuid="u1", memory_mb=256, vcpus=1, accel="tcg", disks=build.disk_list(d))
    spec.save(d.spec)
    return d, spec


def test_resize_then_revert_restores_everything(tmp_path: Path) -> None:
    d, spec = setup(tmp_path)
    resize.keep_old(d)
    resize.keep_old(d)  # a retry keeps the first copy
    new = resize.apply_flavor(d, spec, BIG, "qemu-img")
    assert (new.vcpus, new.memory_mb) == (2, 512)
    assert size(d.disk) == 2 * GiB and size(d.ephemeral) == GiB
    assert d.swap.stat().st_size == 8 * 1024 * 1024
    assert [x.serial for x in new.disks] == ["root", "ephemeral0", "swap"]
    assert DomainSpec.load(d.spec) == new
    old = resize.restore_old(d)
    assert old == spec and size(d.disk) == GiB
    assert not d.ephemeral.exists() and not d.swap.exists() and not d.resize_backup.exists()


def test_confirm_drops_the_old_disks(tmp_path: Path) -> None:
    d, spec = setup(tmp_path)
    resize.keep_old(d)
    resize.apply_flavor(d, spec, BIG, "qemu-img")
    resize.drop_old(d)
    resize.drop_old(d)
    assert not d.resize_backup.exists() and size(d.disk) == 2 * GiB
