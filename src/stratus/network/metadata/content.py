"""The metadata of one instance as HTTP answers (:func:`resolve`) and config drive files.

Pure: everything comes from an ``InstanceMetadata``. Layout (Nova's metadata API)::

    /                                   EC2 versions, one per line, then ``latest``
    /<ec2 version>/                     meta-data/ and user-data (when there is user data)
    /<ec2 version>/meta-data/...        the EC2 tree (:mod:`.ec2`)
    /<ec2 version>/user-data            the user data, decoded
    /openstack/                         OpenStack versions, then ``latest``
    /openstack/<version>/               the files of that version
    /openstack/<version>/meta_data.json uuid, name, hostname, availability_zone, project_id,
                                        launch_index, public_keys, keys, meta, devices, …
    /openstack/<version>/user_data      the user data, decoded
    /openstack/<version>/network_data.json   links, networks, services
    /openstack/<version>/vendor_data.json, vendor_data2.json   ``{}``

Items appear from the version that introduced them (``keys`` and ``network_data.json`` from
2015-10-15, ``project_id`` from 2016-10-06, …). A config drive holds the same files under
``openstack/<version>/`` plus ``ec2/<version>/meta-data.json`` and ``ec2/<version>/user-data``
for 2009-04-04 and ``latest`` (Nova skips the older EC2 versions there too).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import ipaddress
import json
import secrets
from typing import Any

from stratus.network.metadata import ec2
from stratus.objects.metadata import InstanceMetadata
from stratus.objects.network import VIF, FixedIP

GRIZZLY = "2013-04-04"
HAVANA = "2013-10-17"
LIBERTY = "2015-10-15"
NEWTON_ONE = "2016-06-30"
NEWTON_TWO = "2016-10-06"
VICTORIA = "2020-10-14"
OPENSTACK_VERSIONS = (
    "2012-08-10",
    GRIZZLY,
    HAVANA,
    LIBERTY,
    NEWTON_ONE,
    NEWTON_TWO,
    "2017-02-22",
    "2018-08-27",
    VICTORIA,
)
LATEST = ec2.LATEST
CONFIG_DRIVE_EC2_VERSIONS = ("2009-04-04", LATEST)
RANDOM_SEED_BYTES = 512

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
OCTETS = "application/octet-stream"


@dataclasses.dataclass(frozen=True)
class Answer:
    """The body of a metadata response and its content type."""

    body: bytes
    content_type: str = TEXT


def _json(data: object) -> bytes:
    return json.dumps(data, indent=None, sort_keys=False).encode()


def user_data(md: InstanceMetadata) -> bytes | None:
    """The instance's user data as the guest gets it (the API stores it base64-encoded)."""
    raw = md.instance.user_data
    if raw is None:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return raw.encode()  # NOTE: the API validates; never fail a guest over old data


def meta_data(md: InstanceMetadata, version: str) -> dict[str, Any]:
    """``meta_data.json`` of OpenStack metadata ``version``."""
    inst = md.instance
    data: dict[str, Any] = {"uuid": inst.uuid, "meta": dict(inst.metadata)}
    if inst.key_name and inst.key_data:
        data["public_keys"] = {inst.key_name: inst.key_data}
        if ec2.at_least(version, LIBERTY):
            data["keys"] = [{"name": inst.key_name, "type": md.key_type, "data": inst.key_data}]
    data["hostname"] = inst.hostname
    data["name"] = inst.display_name
    data["launch_index"] = md.launch_index
    data["availability_zone"] = inst.availability_zone or ""
    if ec2.at_least(version, GRIZZLY):
        seed = secrets.token_bytes(RANDOM_SEED_BYTES)
        data["random_seed"] = base64.b64encode(seed).decode()
    if ec2.at_least(version, LIBERTY):
        data["project_id"] = inst.project_id
    if ec2.at_least(version, NEWTON_ONE):
        data["devices"] = []
    if ec2.at_least(version, VICTORIA):
        data["dedicated_cpus"] = []
    return data


def link_id(vif: VIF) -> str:
    """The link name Nova uses: the port's tap device."""
    return vif.devname or f"tap{vif.port_id[:11]}"


def _network_entry(vif: VIF, ip: FixedIP, number: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": f"network{number}", "link": link_id(vif)}
    if ip.version == 4:
        # NOTE: Stratus serves every IPv4 subnet by DHCP (Nova's ``ipv4_dhcp`` case).
        entry["type"] = "ipv4_dhcp"
        entry["network_id"] = vif.network_id
        return entry
    net = ipaddress.ip_network(ip.cidr, strict=False)
    entry.update(type="ipv6", ip_address=ip.address, netmask=str(net.netmask))
    entry["routes"] = (
        [{"network": "::", "netmask": "::", "gateway": ip.gateway}] if ip.gateway else []
    )
    entry["network_id"] = vif.network_id
    entry["services"] = [{"type": "dns", "address": d} for d in ip.dns_nameservers]
    return entry


def network_data(md: InstanceMetadata) -> dict[str, Any]:
    """``network_data.json``: one link per port, one network per address, DNS servers."""
    links = [
        {
            "id": link_id(vif),
            "vif_id": vif.port_id,
            "type": vif.vif_type or "bridge",
            "mtu": vif.mtu,
            "ethernet_mac_address": vif.mac_address,
        }
        for vif in md.vifs
    ]
    networks: list[dict[str, Any]] = []
    dns: list[str] = []
    for vif in md.vifs:
        for ip in vif.fixed_ips:
            networks.append(_network_entry(vif, ip, len(networks)))
            dns += [d for d in ip.dns_nameservers if d not in dns]
    services = [{"type": "dns", "address": d} for d in dns]
    return {"links": links, "networks": networks, "services": services}


def openstack_files(md: InstanceMetadata, version: str) -> dict[str, Answer]:
    """The files of OpenStack metadata ``version`` (what ``/openstack/<version>/`` lists)."""
    files = {"meta_data.json": Answer(_json(meta_data(md, version)), JSON)}
    data = user_data(md)
    if data is not None:
        files["user_data"] = Answer(data, OCTETS)
    if ec2.at_least(version, HAVANA):
        files["vendor_data.json"] = Answer(_json({}), JSON)
    if ec2.at_least(version, LIBERTY):
        files["network_data.json"] = Answer(_json(network_data(md)), JSON)
    if ec2.at_least(version, NEWTON_TWO):
        files["vendor_data2.json"] = Answer(_json({}), JSON)
    return files


def _text(lines: list[str] | tuple[str, ...]) -> Answer:
    return Answer("\n".join(lines).encode())


def _openstack(md: InstanceMetadata, parts: list[str]) -> Answer | None:
    if not parts:
        return _text([*OPENSTACK_VERSIONS, LATEST])
    version = parts[0]
    if version not in OPENSTACK_VERSIONS and version != LATEST:
        return None
    if len(parts) > 2:
        return None
    # NOTE: a listing renders only names; build the files (random seed and all) once per hit.
    files = openstack_files(md, version)
    if len(parts) == 1:
        return _text(list(files))
    return files.get(parts[1])


def _ec2(md: InstanceMetadata, parts: list[str]) -> Answer | None:
    version = parts[0]
    if version not in ec2.VERSIONS and version != LATEST:
        return None
    data = user_data(md)
    if len(parts) == 1:
        return _text(["meta-data/"] + (["user-data"] if data is not None else []))
    if parts[1] == "user-data":
        return Answer(data, OCTETS) if data is not None and len(parts) == 2 else None
    if parts[1] != "meta-data":
        return None
    text = ec2.walk(ec2.meta_data(md, version), parts[2:])
    return Answer(text.encode()) if text is not None else None


def resolve(md: InstanceMetadata, path: str) -> Answer | None:
    """The answer to ``GET path`` for this instance; ``None`` means 404."""
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if any(p in (".", "..") for p in parts):
        return None
    if not parts:
        return _text([*ec2.VERSIONS, LATEST])
    if parts[0] == "openstack":
        return _openstack(md, parts[1:])
    return _ec2(md, parts)


def config_drive_files(md: InstanceMetadata) -> dict[str, bytes]:
    """Path (relative to the drive's root) -> content, for a ``config-2`` config drive."""
    files: dict[str, bytes] = {}
    data = user_data(md)
    for version in CONFIG_DRIVE_EC2_VERSIONS:
        tree = ec2.without_names(ec2.meta_data(md, version))
        files[f"ec2/{version}/meta-data.json"] = _json(tree)
        if data is not None:
            files[f"ec2/{version}/user-data"] = data
    for version in (*OPENSTACK_VERSIONS, LATEST):
        for name, answer in openstack_files(md, version).items():
            files[f"openstack/{version}/{name}"] = answer.body
    return files
