"""Format sniffing and the safety rules of ``stratus.image.formats``, on files made by qemu-img."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from stratus.common import exceptions
from stratus.image import formats

QEMU_IMG = shutil.which("qemu-img")
needs_qemu = pytest.mark.skipif(QEMU_IMG is None, reason="qemu-img is not installed")
QEMU = formats.QemuImg(QEMU_IMG or "qemu-img", 30)


def make(tmp: Path, name: str, fmt: str, *options: str, size: str = "1M") -> Path:
    path = tmp / name
    subprocess.run(
        [QEMU_IMG or "qemu-img", "create", "-q", "-f", fmt, *options, str(path), size],
        check=True,
        cwd=tmp,
    )
    return path


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if QEMU_IMG is None:
        pytest.skip("qemu-img is not installed")
    tmp = tmp_path_factory.mktemp("formats")
    files = {
        "qcow2": make(tmp, "base.qcow2", "qcow2"),
        "qcow2-backing": make(tmp, "child.qcow2", "qcow2", "-b", "base.qcow2", "-F", "qcow2"),
        "qcow2-datafile": make(tmp, "df.qcow2", "qcow2", "-o", "data_file=data.raw"),
        "vmdk": make(tmp, "sparse.vmdk", "vmdk"),
        "vmdk-stream": make(tmp, "stream.vmdk", "vmdk", "-o", "subformat=streamOptimized"),
        "vmdk-flat": make(tmp, "flat.vmdk", "vmdk", "-o", "subformat=monolithicFlat"),
        "vmdk-split": make(tmp, "split.vmdk", "vmdk", "-o", "subformat=twoGbMaxExtentSparse"),
        "vhd": make(tmp, "dyn.vhd", "vpc"),
        "vhd-fixed": make(tmp, "fixed.vhd", "vpc", "-o", "subformat=fixed"),
        "vhdx": make(tmp, "x.vhdx", "vhdx"),
        "vdi": make(tmp, "d.vdi", "vdi"),
        "ploop": make(tmp, "p.hds", "parallels"),
        "qed": make(tmp, "q.qed", "qed"),
    }
    raw = tmp / "random.raw"
    raw.write_bytes(os.urandom(4096))
    files["raw"] = raw
    iso = tmp / "disc.iso"
    iso.write_bytes(b"\0" * 0x8001 + b"CD001" + b"\0" * 4000)
    files["iso"] = iso
    return files


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("qcow2", "qcow2"),
        ("qcow2-backing", "qcow2"),
        ("vmdk", "vmdk"),
        ("vmdk-stream", "vmdk"),
        ("vmdk-flat", "vmdk-descriptor"),
        ("vhd", "vhd"),
        ("vhd-fixed", "vhd"),
        ("vhdx", "vhdx"),
        ("vdi", "vdi"),
        ("ploop", "ploop"),
        ("qed", "qed"),
        ("raw", "raw"),
        ("iso", "iso"),
    ],
)
def test_detect(samples: dict[str, Path], sample: str, expected: str) -> None:
    assert formats.detect(samples[sample]) == expected


@needs_qemu
@pytest.mark.parametrize(
    ("sample", "disk_format", "virtual_size"),
    [
        ("qcow2", "qcow2", 1048576),
        ("vmdk", "vmdk", 1048576),
        ("vmdk-stream", "vmdk", 1048576),
        ("vhdx", "vhdx", 1048576),
        ("vdi", "vdi", 1048576),
        ("ploop", "ploop", 1048576),
        ("vhd", "vhd", None),
        ("vhd-fixed", "vhd", None),
    ],
)
def test_safe_images_pass(
    samples: dict[str, Path], sample: str, disk_format: str, virtual_size: int | None
) -> None:
    result = formats.inspect(samples[sample], disk_format, QEMU)
    assert result.format == disk_format
    if virtual_size is not None:
        assert result.virtual_size == virtual_size
    else:
        assert result.virtual_size > 1000000  # vpc rounds to its CHS geometry


@pytest.mark.parametrize("disk_format", ["raw", "iso", "ami", "ari", "aki"])
def test_raw_like_formats_accept_plain_data(samples: dict[str, Path], disk_format: str) -> None:
    result = formats.inspect(samples["raw"], disk_format, QEMU)
    assert result.virtual_size == 4096


@pytest.mark.parametrize(
    ("sample", "disk_format", "reason"),
    [
        ("qcow2", "raw", "the data is a qcow2 image, but disk_format is raw"),
        ("vmdk", "raw", "the data is a vmdk image"),
        ("qed", "ami", "the data is a qed image"),
        ("vhdx", "iso", "the data is a vhdx image"),
        ("raw", "qcow2", "disk_format is qcow2, but the data is raw data"),
        ("vmdk", "qcow2", "disk_format is qcow2, but the data is a vmdk image"),
        ("qcow2", "vmdk", "disk_format is vmdk, but the data is a qcow2 image"),
        ("qcow2-backing", "qcow2", "backing file"),
        ("qcow2-datafile", "qcow2", "external data file"),
        ("vmdk-flat", "vmdk", "vmdk-descriptor"),
        ("vmdk-split", "vmdk", "vmdk-descriptor"),
        ("iso", "vdi", "disk_format is vdi, but the data is a iso image"),
    ],
)
def test_unsafe_or_mismatched_images_are_rejected(
    samples: dict[str, Path], sample: str, disk_format: str, reason: str
) -> None:
    with pytest.raises(exceptions.Invalid) as caught:
        formats.inspect(samples[sample], disk_format, QEMU)
    assert reason in caught.value.message


def _vmdk_with_descriptor(
    tmp: Path, source: Path, descriptor: str, capacity: int | None = None
) -> Path:
    """A copy of a sparse vmdk whose embedded descriptor is replaced by ``descriptor``."""
    data = bytearray(source.read_bytes())
    desc_offset, desc_size = struct.unpack("<QQ", data[28:44])
    text = descriptor.encode().ljust(desc_size * 512, b"\0")
    data[desc_offset * 512 : (desc_offset + desc_size) * 512] = text
    if capacity is not None:
        data[12:20] = struct.pack("<Q", capacity)
    out = tmp / "crafted.vmdk"
    out.write_bytes(bytes(data))
    return out


def test_vmdk_with_embedded_flat_descriptor_is_rejected(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    crafted = _vmdk_with_descriptor(
        tmp_path,
        samples["vmdk"],
        '# Disk DescriptorFile\ncreateType="monolithicFlat"\nRW 2048 FLAT "/etc/passwd" 0\n',
    )
    with pytest.raises(exceptions.Invalid, match="create type 'monolithicFlat'"):
        formats.inspect(crafted, "vmdk", QEMU)


def test_vmdk_with_foreign_extent_type_is_rejected(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    crafted = _vmdk_with_descriptor(
        tmp_path,
        samples["vmdk"],
        '# Disk DescriptorFile\ncreateType="monolithicSparse"\nRW 2048 FLAT "/etc/passwd" 0\n',
    )
    with pytest.raises(exceptions.Invalid, match="extents of type FLAT"):
        formats.inspect(crafted, "vmdk", QEMU)


def test_vmdk_without_capacity_is_rejected(samples: dict[str, Path], tmp_path: Path) -> None:
    crafted = _vmdk_with_descriptor(
        tmp_path,
        samples["vmdk"],
        '# Disk DescriptorFile\ncreateType="monolithicSparse"\n',
        capacity=0,
    )
    with pytest.raises(exceptions.Invalid, match="without capacity"):
        formats.inspect(crafted, "vmdk", QEMU)


def test_differencing_vhd_is_rejected(samples: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(samples["vhd"].read_bytes())
    data[60:64] = struct.pack(">I", 4)
    crafted = tmp_path / "diff.vhd"
    crafted.write_bytes(bytes(data))
    with pytest.raises(exceptions.Invalid, match="differencing vhd"):
        formats.inspect(crafted, "vhd", QEMU)


def test_differencing_vdi_is_rejected(samples: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(samples["vdi"].read_bytes())
    data[76:80] = struct.pack("<I", 4)
    crafted = tmp_path / "diff.vdi"
    crafted.write_bytes(bytes(data))
    with pytest.raises(exceptions.Invalid, match="vdi"):
        formats.inspect(crafted, "vdi", QEMU)


def test_unknown_qcow2_incompatible_feature_is_rejected(
    samples: dict[str, Path], tmp_path: Path
) -> None:
    data = bytearray(samples["qcow2"].read_bytes())
    data[72:80] = struct.pack(">Q", 1 << 40)
    crafted = tmp_path / "odd.qcow2"
    crafted.write_bytes(bytes(data))
    with pytest.raises(exceptions.Invalid, match="unknown incompatible features"):
        formats.inspect(crafted, "qcow2", QEMU)


# ------------------------------------------------------- qemu-img, the second line of defence


@needs_qemu
def test_qemu_img_reports_backing_file_and_it_is_rejected(samples: dict[str, Path]) -> None:
    info = formats.qemu_img_info(samples["qcow2-backing"], "qcow2", QEMU)
    assert info["backing-filename"] == "base.qcow2"
    with pytest.raises(exceptions.Invalid, match="backing file"):
        formats.check_qemu_info(info, "qcow2", samples["qcow2-backing"])


@needs_qemu
def test_qemu_img_reports_data_file_and_it_is_rejected(samples: dict[str, Path]) -> None:
    info = formats.qemu_img_info(samples["qcow2-datafile"], "qcow2", QEMU)
    with pytest.raises(exceptions.Invalid, match="external data file"):
        formats.check_qemu_info(info, "qcow2", samples["qcow2-datafile"])


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        ({"format": "raw", "virtual-size": 1}, "qemu-img sees 'raw'"),
        (
            {
                "format": "vmdk",
                "virtual-size": 1,
                "format-specific": {"data": {"create-type": "vmfs"}},
            },
            "vmfs",
        ),
        (
            {
                "format": "vmdk",
                "virtual-size": 1,
                "format-specific": {
                    "data": {
                        "create-type": "monolithicSparse",
                        "extents": [{"filename": "/etc/shadow"}],
                    }
                },
            },
            "extents in other files",
        ),
        ({"format": "vmdk", "full-backing-filename": "/x", "virtual-size": 1}, "backing file"),
        (
            {"format": "vmdk", "format-specific": {"data": {"create-type": "streamOptimized"}}},
            "no virtual size",
        ),
    ],
)
def test_check_qemu_info_rules(info: dict[str, object], reason: str, tmp_path: Path) -> None:
    with pytest.raises(exceptions.Invalid, match=reason):
        formats.check_qemu_info(info, "vmdk", tmp_path / "image")


@needs_qemu
def test_qemu_img_always_gets_an_explicit_format(tmp_path: Path, samples: dict[str, Path]) -> None:
    log = tmp_path / "argv.json"
    fake = tmp_path / "fake-qemu-img"
    fake.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"json.dump(sys.argv[1:], open({str(log)!r}, 'w'))\n"
        "print(json.dumps({'format': 'qcow2', 'virtual-size': 5}))\n"
    )
    fake.chmod(0o755)
    result = formats.inspect(samples["qcow2"], "qcow2", formats.QemuImg(str(fake), 10))
    assert result.virtual_size == 5
    argv = json.loads(log.read_text())
    assert argv[:3] == ["info", "-f", "qcow2"]
    assert "--force-share" in argv
    assert argv[argv.index("--output") + 1] == "json"


def test_qemu_img_timeout_rejects(tmp_path: Path, samples: dict[str, Path]) -> None:
    fake = tmp_path / "slow-qemu-img"
    fake.write_text("#!/bin/sh\nsleep 5\n")
    fake.chmod(0o755)
    with pytest.raises(exceptions.Invalid, match="took too long"):
        formats.inspect(samples["qcow2"], "qcow2", formats.QemuImg(str(fake), 0.5))


def test_missing_qemu_img_is_service_unavailable(tmp_path: Path, samples: dict[str, Path]) -> None:
    missing = formats.QemuImg(str(tmp_path / "no-such-binary"), 5)
    with pytest.raises(exceptions.ServiceUnavailable):
        formats.inspect(samples["qcow2"], "qcow2", missing)


def test_qemu_img_failure_rejects(tmp_path: Path, samples: dict[str, Path]) -> None:
    fake = tmp_path / "failing-qemu-img"
    fake.write_text("#!/bin/sh\necho 'Could not open' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(exceptions.Invalid, match="not a valid qcow2 image"):
        formats.inspect(samples["qcow2"], "qcow2", formats.QemuImg(str(fake), 5))
