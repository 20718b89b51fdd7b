"""The EC2-compatible metadata tree (``/<version>/meta-data/…``) of one instance.

Shapes and version gates follow Nova's ``get_ec2_metadata``: items appear from the EC2 API
version that introduced them. A tree node is a ``dict`` (listed one name per line, sub-trees
with a trailing ``/``), a ``list`` (one item per line) or a string. EC2 identifiers
(``i-…``, ``ami-…``) are derived from the UUIDs: 8 hex digits of their SHA-256, stable for the
life of the instance or image.
"""

from __future__ import annotations

import hashlib
from typing import Any

from stratus.objects.metadata import InstanceMetadata

VERSIONS = (
    "1.0",
    "2007-01-19",
    "2007-03-01",
    "2007-08-29",
    "2007-10-10",
    "2007-12-15",
    "2008-02-01",
    "2008-09-01",
    "2009-04-04",
)
LATEST = "latest"

Tree = dict[str, Any]


def at_least(version: str, since: str) -> bool:
    """Whether API ``version`` (a date, ``1.0`` or ``latest``) has what ``since`` introduced."""
    return version == LATEST or version >= since


def ec2_id(prefix: str, uuid: str) -> str:
    """A stable EC2-style id (``i-1a2b3c4d``) for a UUID."""
    return f"{prefix}-{hashlib.sha256(uuid.encode()).hexdigest()[:8]}"


def first_ipv4(md: InstanceMetadata) -> str:
    for vif in md.vifs:
        for ip in vif.fixed_ips:
            if ip.version == 4:
                return ip.address
    return ""


def _block_devices(md: InstanceMetadata) -> dict[str, str]:
    """Disk names in the order the virt drivers attach them (root, ephemeral, swap)."""
    flavor = md.instance.flavor
    found = {"ami": "vda", "root": "/dev/vda"}
    letters = iter("bcdefgh")
    if flavor.ephemeral_gb:
        found["ephemeral0"] = f"vd{next(letters)}"
    if flavor.swap:
        found["swap"] = f"vd{next(letters)}"
    return found


def meta_data(md: InstanceMetadata, version: str) -> Tree:
    """The ``meta-data`` tree for EC2 API ``version``."""
    inst = md.instance
    tree: Tree = {
        "ami-id": ec2_id("ami", inst.image_ref) if inst.image_ref else "",
        "ami-launch-index": str(md.launch_index),
        "ami-manifest-path": "FIXME",
        "instance-id": ec2_id("i", inst.uuid),
        "hostname": inst.hostname,
        "local-ipv4": first_ipv4(md),
        "reservation-id": md.reservation_id,
        "security-groups": list(inst.security_groups),
    }
    if inst.key_name and inst.key_data:
        tree["public-keys"] = {"0": {"_name": f"0={inst.key_name}", "openssh-key": inst.key_data}}
    if at_least(version, "2007-01-19"):
        tree["local-hostname"] = inst.hostname
        tree["public-hostname"] = inst.hostname
        tree["public-ipv4"] = ""
    if at_least(version, "2007-08-29"):
        tree["instance-type"] = inst.flavor.name
    if at_least(version, "2007-12-15"):
        tree["block-device-mapping"] = _block_devices(md)
    if at_least(version, "2008-02-01"):
        tree["placement"] = {"availability-zone": inst.availability_zone or ""}
    if at_least(version, "2008-09-01"):
        tree["instance-action"] = "none"
    if at_least(version, "2009-04-04"):
        if inst.kernel_id:
            tree["kernel-id"] = ec2_id("aki", inst.kernel_id)
        if inst.ramdisk_id:
            tree["ramdisk-id"] = ec2_id("ari", inst.ramdisk_id)
    return tree


def listing(node: Tree) -> str:
    """A directory as the EC2 API lists it (``public-keys`` entries show as ``0=name``)."""
    names = []
    for key, value in node.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            names.append(value.get("_name") or f"{key}/")
        else:
            names.append(key)
    return "\n".join(names)


def walk(tree: Tree, parts: list[str]) -> str | None:
    """The text at ``parts`` below ``tree`` (a listing for a directory); ``None`` if absent."""
    node: Any = tree
    for part in parts:
        if not isinstance(node, dict) or part.startswith("_") or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict):
        return listing(node)
    if isinstance(node, list):
        return "\n".join(str(item) for item in node)
    return str(node)


def without_names(tree: Tree) -> Tree:
    """``tree`` without the ``_name`` helpers (the config drive's ``meta-data.json``)."""
    return {
        k: without_names(v) if isinstance(v, dict) else v
        for k, v in tree.items()
        if not k.startswith("_")
    }
