"""Uploads are inspected before activation: real qemu-img images, safe and unsafe."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.functional.image.conftest import ImageCloud

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-img") is None, reason="qemu-img is not installed"
)


def _make(tmp: Path, name: str, fmt: str, *options: str) -> bytes:
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", fmt, *options, name, "2M"], check=True, cwd=tmp
    )
    return (tmp / name).read_bytes()


def _leftovers(images: ImageCloud) -> list[Path]:
    return list(images.datadir.glob(".*")) if images.datadir.exists() else []


@pytest.mark.parametrize(
    ("fmt", "disk_format", "options"),
    [
        ("qcow2", "qcow2", ()),
        ("vmdk", "vmdk", ()),
        ("vmdk", "vmdk", ("-o", "subformat=streamOptimized")),
        ("vhdx", "vhdx", ()),
        ("vdi", "vdi", ()),
    ],
)
def test_safe_images_become_active_with_virtual_size(
    images: ImageCloud, tmp_path: Path, fmt: str, disk_format: str, options: tuple[str, ...]
) -> None:
    data = _make(tmp_path, f"disk.{fmt}", fmt, *options)
    image = images.create(disk_format=disk_format)
    r = images.upload(image["id"], data)
    assert r.status_code == 204, r.text
    shown = images.show(image["id"]).json()
    assert shown["status"] == "active"
    assert shown["virtual_size"] == 2 * 1024 * 1024
    assert shown["size"] == len(data)


def _assert_rejected(images: ImageCloud, image_id: str, data: bytes, reason: str) -> None:
    r = images.upload(image_id, data)
    assert r.status_code == 400, r.text
    assert reason in r.json()["badRequest"]["message"]
    shown = images.show(image_id).json()
    assert shown["status"] == "queued"
    assert shown["size"] is None
    assert not (images.datadir / image_id).exists()
    assert _leftovers(images) == []


def test_qcow2_with_backing_file_is_rejected(images: ImageCloud, tmp_path: Path) -> None:
    _make(tmp_path, "base.qcow2", "qcow2")
    data = _make(tmp_path, "child.qcow2", "qcow2", "-b", "base.qcow2", "-F", "qcow2")
    image = images.create(disk_format="qcow2")
    _assert_rejected(images, image["id"], data, "backing file")


def test_qcow2_with_backing_file_to_host_path_is_rejected(
    images: ImageCloud, tmp_path: Path
) -> None:
    data = _make(tmp_path, "evil.qcow2", "qcow2", "-b", "/etc/passwd", "-F", "raw", "-u")
    image = images.create(disk_format="qcow2")
    _assert_rejected(images, image["id"], data, "backing file")


def test_qcow2_with_external_data_file_is_rejected(images: ImageCloud, tmp_path: Path) -> None:
    data = _make(tmp_path, "df.qcow2", "qcow2", "-o", "data_file=data.raw")
    image = images.create(disk_format="qcow2")
    _assert_rejected(images, image["id"], data, "external data file")


def test_qcow2_declared_as_raw_is_rejected(images: ImageCloud, tmp_path: Path) -> None:
    data = _make(tmp_path, "disguised.qcow2", "qcow2")
    image = images.create(disk_format="raw")
    _assert_rejected(images, image["id"], data, "the data is a qcow2 image, but disk_format is raw")


def test_random_data_declared_as_qcow2_is_rejected(images: ImageCloud) -> None:
    image = images.create(disk_format="qcow2")
    _assert_rejected(
        images, image["id"], os.urandom(4096), "disk_format is qcow2, but the data is raw data"
    )


def test_vmdk_descriptor_is_rejected(images: ImageCloud, tmp_path: Path) -> None:
    data = _make(tmp_path, "flat.vmdk", "vmdk", "-o", "subformat=monolithicFlat")
    image = images.create(disk_format="vmdk")
    _assert_rejected(images, image["id"], data, "vmdk-descriptor")


def test_vmdk_declared_as_ami_is_rejected(images: ImageCloud, tmp_path: Path) -> None:
    data = _make(tmp_path, "disk.vmdk", "vmdk")
    image = images.create(disk_format="ami", container_format="ami")
    _assert_rejected(images, image["id"], data, "the data is a vmdk image")


def test_a_rejected_image_can_be_uploaded_again(images: ImageCloud, tmp_path: Path) -> None:
    image = images.create(disk_format="qcow2")
    assert images.upload(image["id"], b"not an image").status_code == 400
    good = _make(tmp_path, "good.qcow2", "qcow2")
    assert images.upload(image["id"], good).status_code == 204
    assert images.show(image["id"]).json()["status"] == "active"
