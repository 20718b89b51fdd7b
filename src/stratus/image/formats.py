"""Disk-image format inspection: is the uploaded data what its ``disk_format`` says, and is it safe?

A qcow2 or vmdk image can point at other files (a backing file, an external data file, extents);
a hypervisor that opens such an image reads those files on the compute host (CVE-2022-47951,
CVE-2024-32498). So before an image becomes active the service:

1. sniffs the format from the bytes (magic numbers; never trusts ``disk_format``) and rejects data
   whose real format differs from the declared one — raw-like formats (raw, iso, ami, ari, aki)
   may hold anything *except* a recognised virtual-disk container;
2. parses the headers of formats that can reference other files and rejects any reference
   (qcow2 backing file or data file, vmdk descriptor files and non-monolithic create types, vhd
   and vdi differencing disks) — this happens before any other program opens the file;
3. for container formats, runs ``qemu-img info -f <declared format> --force-share --output json``
   (always with an explicit format, under a timeout and, when ``prlimit`` exists, memory and CPU
   limits) and rejects what qemu reports as a backing file, data file or foreign extent; its
   ``virtual-size`` becomes the image's ``virtual_size``.

Every rejection is ``exceptions.Invalid`` with a message saying why.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

from stratus.common import exceptions

LOG = logging.getLogger(__name__)

RAW_LIKE = frozenset({"raw", "iso", "ami", "ari", "aki"})
# declared disk_format -> qemu's driver name
QEMU_DRIVER = {
    "qcow2": "qcow2",
    "vmdk": "vmdk",
    "vhd": "vpc",
    "vhdx": "vhdx",
    "vdi": "vdi",
    "ploop": "parallels",
}
VMDK_CREATE_TYPES = frozenset({"monolithicSparse", "streamOptimized"})
HEAD_SIZE = 64 * 1024
MAX_DESCRIPTOR = 1024 * 1024
_QCOW2_KNOWN_INCOMPATIBLE = (
    0b11011  # dirty, corrupt, compression type, extended L2 (not: data file)
)
_QCOW2_DATA_FILE = 1 << 2
_ISO_IDS = (b"CD001", b"BEA01", b"NSR02", b"NSR03", b"BOOT2", b"TEA01")


@dataclasses.dataclass(frozen=True)
class Inspection:
    """What the data turned out to be."""

    format: str
    virtual_size: int


@dataclasses.dataclass(frozen=True)
class QemuImg:
    """How to run ``qemu-img`` (``[image] qemu_img`` and ``inspect_timeout``)."""

    binary: str = "qemu-img"
    timeout: float = 60.0


def _reject(reason: str) -> exceptions.Invalid:
    return exceptions.Invalid(f"Image data rejected: {reason}.")


# ------------------------------------------------------------------------------------- sniffing


def _read(path: Path, offset: int, size: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(size)


def _is_iso(path: Path, length: int) -> bool:
    for n in range(16):
        at = 0x8000 + n * 2048 + 1
        if at + 5 > length:
            return False
        if _read(path, at, 5) in _ISO_IDS:
            return True
    return False


def detect(path: Path) -> str:
    """The format of the file at ``path`` from its magic numbers; ``raw`` if none matches.

    Results: qcow2, qed, vmdk, vmdk-descriptor, vhd, vhdx, vdi, ploop, luks, iso, raw.
    """
    length = path.stat().st_size
    head = _read(path, 0, HEAD_SIZE)
    magics = (
        (b"QFI\xfb", "qcow2"),
        (b"QED\x00", "qed"),
        (b"KDMV", "vmdk"),
        (b"COWD", "vmdk3"),
        (b"conectix", "vhd"),
        (b"vhdxfile", "vhdx"),
        (b"WithoutFreeSpace", "ploop"),
        (b"WithouFreSpacExt", "ploop"),
        (b"LUKS\xba\xbe", "luks"),
    )
    for magic, name in magics:
        if head.startswith(magic):
            return name
    if len(head) >= 68 and head[64:68] == b"\x7f\x10\xda\xbe":
        return "vdi"
    if head.lstrip().startswith(b"# Disk DescriptorFile") or b"createType=" in head[:4096]:
        return "vmdk-descriptor"
    if length >= 512 and length % 512 == 0 and _read(path, length - 512, 8) == b"conectix":
        return "vhd"
    if _is_iso(path, length):
        return "iso"
    return "raw"


# ---------------------------------------------------------------------------------- header rules


def _check_qcow2(path: Path) -> None:
    header = _read(path, 0, 104)
    if len(header) < 72:
        raise _reject("the qcow2 header is truncated")
    version, backing_offset = struct.unpack(">IQ", header[4:16])
    if version not in (2, 3):
        raise _reject(f"unsupported qcow2 version {version}")
    if backing_offset != 0:
        raise _reject("qcow2 images with a backing file are not allowed")
    if version == 3:
        if len(header) < 104:
            raise _reject("the qcow2 header is truncated")
        (incompatible,) = struct.unpack(">Q", header[72:80])
        if incompatible & _QCOW2_DATA_FILE:
            raise _reject("qcow2 images with an external data file are not allowed")
        if incompatible & ~(_QCOW2_KNOWN_INCOMPATIBLE | _QCOW2_DATA_FILE):
            raise _reject("the qcow2 image uses unknown incompatible features")


def _vmdk_descriptor(path: Path) -> str:
    header = _read(path, 0, 512)
    if len(header) < 44:
        raise _reject("the vmdk header is truncated")
    capacity, _grain, desc_offset, desc_size = struct.unpack("<QQQQ", header[12:44])
    if capacity == 0:
        raise _reject("vmdk images without capacity (descriptor-only) are not allowed")
    if desc_offset == 0 or desc_size == 0:
        return ""
    if desc_size * 512 > MAX_DESCRIPTOR:
        raise _reject("the vmdk descriptor is too large")
    return _read(path, desc_offset * 512, desc_size * 512).split(b"\x00", 1)[0].decode("latin-1")


_EXTENT_RE = re.compile(r"^\s*(RW|RDONLY|NOACCESS)\s+\d+\s+(\S+)", re.MULTILINE)
_CREATE_TYPE_RE = re.compile(r'^\s*createType\s*=\s*"?([A-Za-z0-9_]+)"?', re.MULTILINE)
_PARENT_RE = re.compile(r"^\s*parentFileNameHint\s*=", re.MULTILINE)


def _check_vmdk(path: Path) -> None:
    descriptor = _vmdk_descriptor(path)
    if not descriptor:
        return
    match = _CREATE_TYPE_RE.search(descriptor)
    create_type = match.group(1) if match else ""
    if create_type not in VMDK_CREATE_TYPES:
        raise _reject(f"vmdk create type {create_type or 'unknown'!r} is not allowed")
    if _PARENT_RE.search(descriptor):
        raise _reject("vmdk images with a parent are not allowed")
    for _access, kind in _EXTENT_RE.findall(descriptor):
        if kind != "SPARSE":
            raise _reject(f"vmdk extents of type {kind} are not allowed")


def _check_vhd(path: Path) -> None:
    footer = _read(path, 0, 512)
    if not footer.startswith(b"conectix"):
        footer = _read(path, path.stat().st_size - 512, 512)
    (disk_type,) = struct.unpack(">I", footer[60:64])
    if disk_type == 4:
        raise _reject("differencing vhd images are not allowed")


def _check_vdi(path: Path) -> None:
    header = _read(path, 0, 80)
    (image_type,) = struct.unpack("<I", header[76:80])
    if image_type not in (1, 2):
        raise _reject("only normal and fixed vdi images are allowed")


_HEADER_RULES = {"qcow2": _check_qcow2, "vmdk": _check_vmdk, "vhd": _check_vhd, "vdi": _check_vdi}


# ------------------------------------------------------------------------------------- qemu-img


def qemu_img_info(path: Path, disk_format: str, qemu: QemuImg) -> dict[str, Any]:
    """``qemu-img info`` of ``path`` opened strictly as ``disk_format`` (never probed)."""
    driver = QEMU_DRIVER[disk_format]
    binary = shutil.which(qemu.binary)
    if binary is None:
        LOG.error("cannot find %s to inspect a %s image", qemu.binary, disk_format)
        raise exceptions.ServiceUnavailable("Image inspection is not available.")
    argv = [binary, "info", "-f", driver, "--force-share", "--output", "json", str(path)]
    prlimit = shutil.which("prlimit")
    if prlimit:
        argv = [prlimit, "--as=1073741824", f"--cpu={max(1, int(qemu.timeout))}", "--", *argv]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=qemu.timeout, check=False, env=env, cwd=path.parent
        )
    except subprocess.TimeoutExpired:
        raise _reject("inspecting the image took too long") from None
    except OSError as error:
        LOG.error("cannot run %s: %s", qemu.binary, error)
        raise exceptions.ServiceUnavailable("Image inspection is not available.") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        LOG.info("qemu-img info failed on %s: %s", path, detail)
        raise _reject(f"it is not a valid {disk_format} image")
    try:
        info = json.loads(done.stdout)
    except ValueError:
        raise _reject("qemu-img reported unreadable information") from None
    if not isinstance(info, dict):
        raise _reject("qemu-img reported unreadable information")
    return info


def check_qemu_info(info: dict[str, Any], disk_format: str, path: Path) -> int:
    """Apply the safety rules to ``qemu-img info`` output; returns the virtual size."""
    if info.get("format") != QEMU_DRIVER[disk_format]:
        raise _reject(f"qemu-img sees {info.get('format')!r}, not {disk_format}")
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise _reject("images with a backing file are not allowed")
    specific = info.get("format-specific") or {}
    data = (specific.get("data") or {}) if isinstance(specific, dict) else {}
    if disk_format == "qcow2" and data.get("data-file"):
        raise _reject("qcow2 images with an external data file are not allowed")
    if disk_format == "vmdk":
        create_type = data.get("create-type")
        if create_type not in VMDK_CREATE_TYPES:
            raise _reject(f"vmdk create type {create_type!r} is not allowed")
        for extent in data.get("extents") or []:
            name = extent.get("filename") if isinstance(extent, dict) else None
            if not name or Path(path.parent, name).resolve() != path.resolve():
                raise _reject("vmdk images with extents in other files are not allowed")
    size = info.get("virtual-size")
    if not isinstance(size, int) or size < 0:
        raise _reject("qemu-img reported no virtual size")
    return size


# ----------------------------------------------------------------------------------------- entry


def inspect(path: Path, disk_format: str, qemu: QemuImg) -> Inspection:
    """Check the data at ``path`` against ``disk_format``; raises ``Invalid`` to reject it."""
    actual = detect(path)
    if disk_format in RAW_LIKE:
        if actual not in ("raw", "iso"):
            raise _reject(f"the data is a {actual} image, but disk_format is {disk_format}")
        return Inspection(actual, path.stat().st_size)
    if disk_format not in QEMU_DRIVER:
        raise _reject(f"disk_format {disk_format} cannot be inspected")
    if actual != disk_format:
        shown = "raw data" if actual == "raw" else f"a {actual} image"
        raise _reject(f"disk_format is {disk_format}, but the data is {shown}")
    rule = _HEADER_RULES.get(disk_format)
    if rule is not None:
        rule(path)
    info = qemu_img_info(path, disk_format, qemu)
    return Inspection(disk_format, check_qemu_info(info, disk_format, path))
