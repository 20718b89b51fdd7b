"""The base image cache (download once, verify, convert with explicit formats) and disk files."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from stratus.objects.image import ImageMeta
from stratus.virt.driver import DriverError
from stratus.virt.qemu import disks
from stratus.virt.qemu.disks import GiB, ImageCache

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "qemu-img"], capture_output=True).returncode != 0,
    reason="needs qemu-img (apt-get install qemu-utils)",
)


def raw_image(path: Path, size: int = 1024 * 1024) -> ImageMeta:
    data = b"\xeb\x63" + b"\0" * (size - 2)
    path.write_bytes(data)
    return ImageMeta(
        id=path.name,
        disk_format="raw",
        container_format="bare",
        os_hash_algo="sha512",
        os_hash_value=hashlib.sha512(data).hexdigest(),
        checksum=hashlib.md5(data).hexdigest(),
    )


class Fetcher:
    def __init__(self, files: dict[str, tuple[Path, ImageMeta]]) -> None:
        self.files = files
        self.calls: list[str] = []

    def __call__(self, image_id: str, dest: Path) -> ImageMeta:
        self.calls.append(image_id)
        src, meta = self.files[image_id]
        dest.write_bytes(src.read_bytes())
        return meta


def info(path: Path) -> dict[str, object]:
    out = subprocess.run(
        ["qemu-img", "info", "-f", "qcow2", "--output=json", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result: dict[str, object] = json.loads(out)
    return result


def test_download_once_verify_convert(tmp_path: Path) -> None:
    meta = raw_image(tmp_path / "img")
    fetch = Fetcher({"img": (tmp_path / "img", meta)})
    cache = ImageCache(tmp_path / "base")
    first = cache.get("img", fetch)
    second = cache.get("img", fetch)
    assert fetch.calls == ["img"]  # once per image per host
    assert first == second and first.format == "qcow2" and first.virtual_size == 1024 * 1024
    assert info(first.path)["format"] == "qcow2"
    assert sorted(p.name for p in (tmp_path / "base").iterdir() if not p.name.startswith(".")) == [
        "img",
        "img.json",
    ]


def test_bad_checksum_keeps_nothing(tmp_path: Path) -> None:
    meta = raw_image(tmp_path / "img").model_copy(update={"os_hash_value": "00"})
    cache = ImageCache(tmp_path / "base")
    with pytest.raises(DriverError, match="failed verification: sha512 is"):
        cache.get("img", Fetcher({"img": (tmp_path / "img", meta)}))
    assert [p.name for p in (tmp_path / "base").iterdir() if not p.name.startswith(".")] == []


def test_md5_checksum_and_missing_checksum(tmp_path: Path) -> None:
    meta = raw_image(tmp_path / "img")
    disks.verify_checksum(tmp_path / "img", meta.model_copy(update={"os_hash_algo": None}))
    with pytest.raises(DriverError, match="no checksum"):
        disks.verify_checksum(
            tmp_path / "img",
            meta.model_copy(update={"os_hash_algo": None, "os_hash_value": None, "checksum": None}),
        )


def test_kernels_are_kept_byte_for_byte(tmp_path: Path) -> None:
    meta = raw_image(tmp_path / "k", 4096).model_copy(update={"disk_format": "aki"})
    cached = ImageCache(tmp_path / "base").get("k", Fetcher({"k": (tmp_path / "k", meta)}))
    assert cached.format == "raw" and cached.path.read_bytes() == (tmp_path / "k").read_bytes()


def test_unknown_disk_format_is_refused() -> None:
    with pytest.raises(DriverError, match="cannot be booted"):
        disks.qemu_format(ImageMeta(id="x", disk_format="ploop"))
    assert disks.qemu_format(ImageMeta(id="x", disk_format="vhd")) == "vpc"


def test_overlay_blank_swap_resize_export(tmp_path: Path) -> None:
    meta = raw_image(tmp_path / "img")
    base = ImageCache(tmp_path / "base").get("img", Fetcher({"img": (tmp_path / "img", meta)}))
    disks.create_overlay(base, tmp_path / "disk", GiB)
    overlay = info(tmp_path / "disk")
    assert overlay["virtual-size"] == GiB
    assert overlay["backing-filename"] == str(base.path)
    assert overlay["backing-filename-format"] == "qcow2"
    disks.create_overlay(base, tmp_path / "small", 0)  # root_gb 0: the image's size
    assert info(tmp_path / "small")["virtual-size"] == 1024 * 1024
    disks.resize(tmp_path / "disk", 2 * GiB)
    assert info(tmp_path / "disk")["virtual-size"] == 2 * GiB
    with pytest.raises(DriverError, match="cannot shrink"):
        disks.resize(tmp_path / "disk", GiB)
    disks.create_blank(tmp_path / "eph", 1)
    assert info(tmp_path / "eph")["virtual-size"] == GiB
    disks.create_swap(tmp_path / "swap", 16)
    assert (tmp_path / "swap").stat().st_size == 16 * 1024 * 1024
    disks.export_qcow2(tmp_path / "disk", tmp_path / "snap.qcow2")
    snap = info(tmp_path / "snap.qcow2")
    assert snap["format"] == "qcow2" and "backing-filename" not in snap
