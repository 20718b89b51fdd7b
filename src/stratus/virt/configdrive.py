"""Config drives: the instance's metadata on a small ISO 9660 disk labelled ``config-2``.

An alternative to the metadata service for instances created with ``--config-drive True`` (or
from images with ``img_config_drive=mandatory``): the same files the metadata service serves
(``openstack/<version>/meta_data.json``, ``user_data``, ``network_data.json``, …, and
``ec2/<version>/meta-data.json``; see :mod:`stratus.network.metadata.content`), written once
when the instance is built. Virt drivers attach it as a read-only CD-ROM; guests find it by its
label, as cloud-init and CirrOS do.

The image is made with ``genisoimage`` (Debian package ``genisoimage``) or, when that is
missing, ``xorriso -as mkisofs``, with Rock Ridge and Joliet names (Nova's options).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from stratus.network.metadata import content
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.metadata import InstanceMetadata
from stratus.objects.network import VIF
from stratus.virt.driver import DriverError

LABEL = "config-2"
TOOLS = (("genisoimage",), ("xorriso", "-as", "mkisofs"))
TIMEOUT = 60


def required(instance: Instance, image: ImageMeta | None) -> bool:
    """Whether the instance gets a config drive (asked for, or required by its image)."""
    if instance.config_drive:
        return True
    return image is not None and image.properties.get("img_config_drive") == "mandatory"


def metadata_of(instance: Instance, vifs: list[VIF]) -> InstanceMetadata:
    """The metadata a compute host can build on its own from what a build brings."""
    key = instance.key_data or ""
    key_type = "x509" if key.startswith("-----BEGIN CERTIFICATE") else "ssh"
    return InstanceMetadata(instance=instance, vifs=vifs, key_type=key_type)


def _tool() -> list[str]:
    for argv in TOOLS:
        if shutil.which(argv[0]):
            return list(argv)
    raise DriverError(
        "cannot build a config drive: neither genisoimage nor xorriso is installed "
        "(apt-get install genisoimage)"
    )


def write_tree(files: dict[str, bytes], root: Path) -> None:
    """Write ``files`` (relative path -> content) below ``root``."""
    for rel, data in files.items():
        if rel.startswith("/") or ".." in Path(rel).parts:
            raise ValueError(f"bad config drive path {rel!r}")
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def make(md: InstanceMetadata, dest: Path) -> None:
    """Write the config drive of ``md`` to ``dest`` (replaced atomically); ``DriverError``
    when the ISO tool fails."""
    tool = _tool()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".configdrive-", dir=dest.parent) as tmp:
        tree = Path(tmp) / "tree"
        write_tree(content.config_drive_files(md), tree)
        iso = Path(tmp) / "config.iso"
        argv = [
            *tool, "-o", str(iso), "-ldots", "-allow-lowercase", "-allow-multidot", "-l",
            "-publisher", "Stratus", "-quiet", "-J", "-r", "-V", LABEL, str(tree),
        ]  # fmt: skip
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DriverError(f"cannot build the config drive: {exc}") from exc
        if proc.returncode != 0:
            raise DriverError(f"{tool[0]} failed to build the config drive: {proc.stderr.strip()}")
        os.chmod(iso, 0o644)
        iso.replace(dest)
