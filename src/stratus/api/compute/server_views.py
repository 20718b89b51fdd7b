"""How a server looks in API responses, per microversion (Nova's ``views/servers.py``).

Fields appear only from the microversion that introduced them, because Tempest checks v2.1
responses against schemas that forbid anything else: ``locked`` 2.9, ``host_status`` 2.16
(admin), ``description`` 2.19, ``tags`` 2.26, the embedded flavor 2.47, the extra
``OS-EXT-SRV-ATTR:*`` fields 2.3 (admin), ``delete_on_termination`` 2.3,
``trusted_image_certificates`` 2.63, ``server_groups`` 2.71 (show/update/rebuild only) and
``locked_reason`` 2.73. Update and rebuild answer with the short form of the show view before
2.75 and the full one from 2.75.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import urlencode

from stratus.api.common.routing import ApiRequest
from stratus.api.compute import microversion
from stratus.common import clock
from stratus.db.repositories.compute.instances import Address
from stratus.objects.flavor import Flavor
from stratus.services.compute.servers import ServerRecord, host_id

PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")
FAULT_STATUSES = ("ERROR", "DELETED")
EXTENDED_ATTRS = "os_compute_api:os-extended-server-attributes"
HOST_STATUS = "os_compute_api:servers:show:host_status"
EXTRA_SPECS = "os_compute_api:os-flavor-extra-specs:index"


@dataclasses.dataclass(frozen=True)
class ViewOptions:
    """What the caller may see, decided once per request."""

    version: microversion.APIVersion
    base: str
    extended_attrs: bool
    host_status: bool
    extra_specs: bool
    fault_details: bool

    @classmethod
    def of(cls, req: ApiRequest) -> ViewOptions:
        version = microversion.of(req)
        target = {"project_id": req.ctx.project_id}
        return cls(
            version=version,
            base=req.base_url,
            extended_attrs=req.allowed(EXTENDED_ATTRS, target),
            host_status=version >= (2, 16) and req.allowed(HOST_STATUS, target),
            extra_specs=version >= (2, 47) and req.allowed(EXTRA_SPECS, target),
            fault_details=req.ctx.is_admin,
        )

    def at_least(self, major: int, minor: int) -> bool:
        return self.version >= (major, minor)


def links(base: str, collection: str, item_id: str) -> list[dict[str, str]]:
    return [
        {"rel": "self", "href": f"{base}/v2.1/{collection}/{item_id}"},
        {"rel": "bookmark", "href": f"{base}/{collection}/{item_id}"},
    ]


def collection_links(
    req: ApiRequest, path: str, count: int, limit: int | None, last_id: str | None
) -> list[dict[str, str]]:
    """A ``next`` link when the page is full (Nova's ``_get_collection_links``)."""
    if limit is None or count < limit or last_id is None or count == 0:
        return []
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    params.append(("marker", last_id))
    return [{"rel": "next", "href": f"{req.base_url}/v2.1/{path}?{urlencode(params)}"}]


def basic(opts: ViewOptions, record: ServerRecord) -> dict[str, Any]:
    row = record.row
    return {
        "id": row.uuid,
        "name": row.display_name,
        "links": links(opts.base, "servers", row.uuid),
    }


def addresses(addrs: list[Address], extended: bool) -> dict[str, list[dict[str, Any]]]:
    shown: dict[str, list[dict[str, Any]]] = {}
    for a in addrs:
        entry: dict[str, Any] = {"version": a.version, "addr": a.address}
        if extended:
            entry["OS-EXT-IPS:type"] = "fixed"
            entry["OS-EXT-IPS-MAC:mac_addr"] = a.mac_address
        shown.setdefault(a.network_name, []).append(entry)
    return shown


def _flavor(opts: ViewOptions, raw: dict[str, Any]) -> dict[str, Any]:
    flavor = Flavor.model_validate(raw)
    if not opts.at_least(2, 47):
        href = f"{opts.base}/flavors/{flavor.flavorid}"
        return {"id": flavor.flavorid, "links": [{"rel": "bookmark", "href": href}]}
    shown: dict[str, Any] = {
        "vcpus": flavor.vcpus,
        "ram": flavor.memory_mb,
        "disk": flavor.root_gb,
        "ephemeral": flavor.ephemeral_gb,
        "swap": flavor.swap,
        "original_name": flavor.name,
    }
    if opts.extra_specs:
        shown["extra_specs"] = dict(flavor.extra_specs)
    return shown


def _image(opts: ViewOptions, image_ref: str) -> dict[str, Any] | str:
    if not image_ref:
        return ""
    href = f"{opts.base}/images/{image_ref}"
    return {"id": image_ref, "links": [{"rel": "bookmark", "href": href}]}


def _usage_time(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def _fault(opts: ViewOptions, record: ServerRecord) -> dict[str, Any] | None:
    fault = record.extras.fault
    if fault is None:
        return None
    shown: dict[str, Any] = {
        "code": fault.code,
        "created": clock.isotime(fault.created_at),
        "message": fault.message,
    }
    if fault.details and (opts.fault_details or fault.code != 500):
        shown["details"] = fault.details
    return shown


def show(
    opts: ViewOptions, record: ServerRecord, full: bool = True, server_groups: bool = False
) -> dict[str, Any]:
    """The server as ``GET /servers/{id}`` shows it (``full=False``: the short form that
    update and rebuild return before 2.75)."""
    row = record.row
    status = record.status
    building = row.vm_state == "building"
    server: dict[str, Any] = {
        "id": row.uuid,
        "name": row.display_name,
        "status": status,
        "tenant_id": row.project_id,
        "user_id": row.user_id,
        "metadata": dict(record.extras.metadata),
        "hostId": host_id(row.project_id, row.host),
        "image": _image(opts, row.image_ref),
        "flavor": _flavor(opts, row.flavor),
        "created": clock.isotime(row.created_at),
        "updated": clock.isotime(row.updated_at or row.created_at),
        "addresses": {} if building else addresses(record.extras.addresses, full),
        "accessIPv4": row.access_ip_v4 or "",
        "accessIPv6": row.access_ip_v6 or "",
        "links": links(opts.base, "servers", row.uuid),
        "OS-DCF:diskConfig": "AUTO" if row.auto_disk_config else "MANUAL",
    }
    if status in FAULT_STATUSES:
        fault = _fault(opts, record)
        if fault is not None:
            server["fault"] = fault
    if status in PROGRESS_STATUSES:
        server["progress"] = row.progress or 0
    if full:
        _add_full(opts, record, server)
    _add_versioned(opts, record, server, full, server_groups)
    return server


def _add_full(opts: ViewOptions, record: ServerRecord, server: dict[str, Any]) -> None:
    row = record.row
    server["OS-EXT-AZ:availability_zone"] = record.availability_zone
    server["config_drive"] = "True" if row.config_drive else ""
    server["key_name"] = row.key_name
    server["OS-SRV-USG:launched_at"] = _usage_time(row.launched_at)
    server["OS-SRV-USG:terminated_at"] = _usage_time(row.terminated_at)
    groups = record.extras.security_groups if record.extras.has_ports else row.security_groups
    if groups:
        server["security_groups"] = [{"name": g} for g in groups]
    if opts.extended_attrs:
        _add_extended_attrs(opts, record, server)
    server["OS-EXT-STS:task_state"] = row.task_state
    server["OS-EXT-STS:vm_state"] = row.vm_state
    server["OS-EXT-STS:power_state"] = row.power_state
    server["os-extended-volumes:volumes_attached"] = []
    if opts.host_status and record.host_status is not None:
        server["host_status"] = record.host_status


def _add_extended_attrs(opts: ViewOptions, record: ServerRecord, server: dict[str, Any]) -> None:
    row = record.row
    server["OS-EXT-SRV-ATTR:host"] = row.host
    server["OS-EXT-SRV-ATTR:instance_name"] = f"instance-{row.uuid}"
    server["OS-EXT-SRV-ATTR:hypervisor_hostname"] = row.node
    if opts.at_least(2, 3):
        server["OS-EXT-SRV-ATTR:reservation_id"] = row.reservation_id
        server["OS-EXT-SRV-ATTR:launch_index"] = row.launch_index
        server["OS-EXT-SRV-ATTR:hostname"] = row.hostname
        server["OS-EXT-SRV-ATTR:kernel_id"] = row.kernel_id
        server["OS-EXT-SRV-ATTR:ramdisk_id"] = row.ramdisk_id
        server["OS-EXT-SRV-ATTR:root_device_name"] = "/dev/vda" if row.launched_at else None
        server["OS-EXT-SRV-ATTR:user_data"] = row.user_data


def _add_versioned(
    opts: ViewOptions,
    record: ServerRecord,
    server: dict[str, Any],
    full: bool,
    server_groups: bool,
) -> None:
    row = record.row
    if opts.at_least(2, 9):
        server["locked"] = bool(row.locked)
    if opts.at_least(2, 19):
        server["description"] = row.display_description
    if opts.at_least(2, 26):
        server["tags"] = list(record.extras.tags)
    if opts.at_least(2, 63):
        server["trusted_image_certificates"] = None
    if opts.at_least(2, 71) and server_groups:
        server["server_groups"] = list(record.server_groups or [])
    if opts.at_least(2, 73):
        server["locked_reason"] = row.locked_reason


def updated(opts: ViewOptions, record: ServerRecord) -> dict[str, Any]:
    """The body of an update response (short form before 2.75, the show view after)."""
    return show(opts, record, full=opts.at_least(2, 75), server_groups=True)


def rebuilt(opts: ViewOptions, record: ServerRecord, admin_pass: str | None) -> dict[str, Any]:
    """The body of a rebuild response: as an update, plus ``key_name`` (2.54), ``user_data``
    (2.57, replacing ``OS-EXT-SRV-ATTR:user_data``) and the admin password."""
    server = updated(opts, record)
    server.pop("OS-EXT-SRV-ATTR:user_data", None)
    if opts.at_least(2, 54):
        server["key_name"] = record.row.key_name
    if opts.at_least(2, 57):
        server["user_data"] = record.row.user_data
    if admin_pass is not None:
        server["adminPass"] = admin_pass
    return server


def created(
    opts: ViewOptions, uuid: str, auto_disk_config: bool, groups: list[str], admin_pass: str
) -> dict[str, Any]:
    """``POST /servers``: id, links, disk config, the requested security groups, password."""
    return {
        "id": uuid,
        "links": links(opts.base, "servers", uuid),
        "OS-DCF:diskConfig": "AUTO" if auto_disk_config else "MANUAL",
        "security_groups": [{"name": g} for g in groups],
        "adminPass": admin_pass,
    }
