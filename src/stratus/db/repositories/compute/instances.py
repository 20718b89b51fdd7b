"""Instances: lookups, the filtered/sorted/paginated server list, and what a server view needs.

``list_instances`` turns a ``ListQuery`` into one SQL query (plus one pre-pass when a regular
expression filter — ``name``, ``ip``, ``ip6`` — must run in Python, as SQLite has no REGEXP).
Pagination is by keyset: the marker row's sort-key values, never an offset.

``load_extras`` fetches metadata, tags, the latest fault, addresses and security groups of a
whole page in one query each, so ``GET /servers/detail`` costs the same handful of queries for
one server or a thousand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, regex_filter
from stratus.db.models.compute import (
    Instance,
    InstanceFault,
    InstanceMetadata,
    InstanceSystemMetadata,
    InstanceTag,
    ServerGroup,
    ServerGroupMember,
)
from stratus.db.models.network import IPAllocation, Network, Port, PortSecurityGroup, SecurityGroup
from stratus.db.repositories.compute import instances_conductor
from stratus.objects.instance import Instance as InstanceObject

_EPOCH = dt.datetime(1970, 1, 1)

# API sort key -> a never-NULL column expression (keyset pagination compares these).
SORT_KEYS: dict[str, Any] = {
    "access_ip_v4": sa.func.coalesce(Instance.access_ip_v4, ""),
    "access_ip_v6": sa.func.coalesce(Instance.access_ip_v6, ""),
    "availability_zone": sa.func.coalesce(Instance.availability_zone, ""),
    "config_drive": Instance.config_drive,
    "created_at": Instance.created_at,
    "display_description": sa.func.coalesce(Instance.display_description, ""),
    "display_name": Instance.display_name,
    "host": sa.func.coalesce(Instance.host, ""),
    "hostname": Instance.hostname,
    "image_ref": Instance.image_ref,
    "instance_type_id": Instance.memory_mb,
    "kernel_id": Instance.kernel_id,
    "key_name": sa.func.coalesce(Instance.key_name, ""),
    "launch_index": Instance.launch_index,
    "launched_at": sa.func.coalesce(Instance.launched_at, _EPOCH),
    "locked": Instance.locked,
    "locked_by": sa.func.coalesce(Instance.locked_by, ""),
    "node": sa.func.coalesce(Instance.node, ""),
    "power_state": Instance.power_state,
    "progress": Instance.progress,
    "project_id": Instance.project_id,
    "ramdisk_id": Instance.ramdisk_id,
    "reservation_id": Instance.reservation_id,
    "root_device_name": Instance.hostname,
    "task_state": sa.func.coalesce(Instance.task_state, ""),
    "terminated_at": sa.func.coalesce(Instance.terminated_at, _EPOCH),
    "updated_at": sa.func.coalesce(Instance.updated_at, Instance.created_at),
    "user_id": Instance.user_id,
    "uuid": Instance.uuid,
    "vm_state": Instance.vm_state,
}


@dataclasses.dataclass
class ListQuery:
    """Every filter of ``GET /servers``; ``None`` means "do not filter on this"."""

    project_id: str | None = None
    user_id: str | None = None
    deleted: bool | None = False  # False: live only; True: deleted only; None: both
    changes_since: dt.datetime | None = None
    changes_before: dt.datetime | None = None
    vm_states: Sequence[str] | None = None
    task_states: Sequence[str | None] | None = None
    image_ref: str | None = None
    flavor_id: str | None = None
    uuids: Sequence[str] | None = None
    host: str | None = None
    node: str | None = None
    reservation_id: str | None = None
    availability_zone: str | None = None
    key_name: str | None = None
    locked: bool | None = None
    power_state: int | None = None
    name_regex: str | None = None
    ip_regex: str | None = None
    ip6_regex: str | None = None
    tags: Sequence[str] = ()
    tags_any: Sequence[str] = ()
    not_tags: Sequence[str] = ()
    not_tags_any: Sequence[str] = ()
    sort: Sequence[tuple[str, str]] = (("created_at", "desc"),)


@dataclasses.dataclass
class Address:
    """One fixed IP of one port of an instance."""

    network_id: str
    network_name: str
    port_id: str
    mac_address: str
    address: str

    @property
    def version(self) -> int:
        return 6 if ":" in self.address else 4


@dataclasses.dataclass
class Extras:
    """What the server view shows besides the row itself (batch-loaded per page)."""

    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: list[str] = dataclasses.field(default_factory=list)
    fault: InstanceFault | None = None
    addresses: list[Address] = dataclasses.field(default_factory=list)
    has_ports: bool = False
    security_groups: list[str] = dataclasses.field(default_factory=list)
    server_groups: list[str] = dataclasses.field(default_factory=list)


# -- single rows ----------------------------------------------------------------------------
def get(
    session: Session, uuid: str, *, lock: bool = False, read_deleted: bool = False
) -> Instance | None:
    query = sa.select(Instance).where(Instance.uuid == uuid)
    if not read_deleted:
        query = query.where(Instance.deleted.is_(False))
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def metadata(session: Session, uuid: str) -> dict[str, str]:
    rows = session.scalars(
        sa.select(InstanceMetadata).where(InstanceMetadata.instance_uuid == uuid)
    )
    return {r.key: r.value for r in rows}


def system_metadata(session: Session, uuid: str) -> dict[str, str]:
    rows = session.scalars(
        sa.select(InstanceSystemMetadata).where(InstanceSystemMetadata.instance_uuid == uuid)
    )
    return {r.key: r.value or "" for r in rows}


def set_metadata(session: Session, uuid: str, values: dict[str, str], replace: bool) -> None:
    """Merge ``values`` into the metadata (or make it exactly ``values`` when ``replace``)."""
    current = {
        r.key: r
        for r in session.scalars(
            sa.select(InstanceMetadata).where(InstanceMetadata.instance_uuid == uuid)
        )
    }
    for key, row in current.items():
        if key in values:
            row.value = values[key]
        elif replace:
            session.delete(row)
    for key, value in values.items():
        if key not in current:
            session.add(InstanceMetadata(instance_uuid=uuid, key=key, value=value))
    session.flush()


def delete_metadata_item(session: Session, uuid: str, key: str) -> bool:
    result = session.execute(
        sa.delete(InstanceMetadata).where(
            InstanceMetadata.instance_uuid == uuid, InstanceMetadata.key == key
        )
    )
    return bool(getattr(result, "rowcount", 0))


def tags(session: Session, uuid: str) -> list[str]:
    return sorted(
        session.scalars(sa.select(InstanceTag.tag).where(InstanceTag.instance_uuid == uuid))
    )


def set_tags(session: Session, uuid: str, wanted: Iterable[str]) -> None:
    session.execute(sa.delete(InstanceTag).where(InstanceTag.instance_uuid == uuid))
    for tag in sorted(set(wanted)):
        session.add(InstanceTag(instance_uuid=uuid, tag=tag))
    session.flush()


def add_fault(
    session: Session, uuid: str, code: int, message: str, details: str = "", host: str | None = None
) -> InstanceFault:
    row = InstanceFault(
        instance_uuid=uuid,
        code=code,
        message=message,
        details=details,
        host=host,
        created_at=clock.utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def to_object(session: Session, row: Instance) -> InstanceObject:
    """The wire ``Instance`` (for casts to hosts and the conductor) of a row."""
    return instances_conductor.to_object(session, row)


# -- the list -------------------------------------------------------------------------------
def _where(q: ListQuery) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    if q.deleted is not None:
        conds.append(Instance.deleted.is_(q.deleted))
    if q.project_id is not None:
        conds.append(Instance.project_id == q.project_id)
    changed = sa.func.coalesce(Instance.updated_at, Instance.created_at)
    if q.changes_since is not None:
        conds.append(changed >= q.changes_since)
    if q.changes_before is not None:
        conds.append(changed <= q.changes_before)
    if q.vm_states is not None:
        conds.append(Instance.vm_state.in_(list(q.vm_states)))
    if q.task_states is not None:
        named = [t for t in q.task_states if t is not None]
        state_cond: sa.ColumnElement[bool] = Instance.task_state.in_(named)
        if None in q.task_states:
            state_cond = sa.or_(state_cond, Instance.task_state.is_(None))
        conds.append(state_cond)
    if q.flavor_id is not None:
        conds.append(Instance.flavor["flavorid"].as_string() == q.flavor_id)
    if q.uuids is not None:
        conds.append(Instance.uuid.in_(list(q.uuids)))
    equal: list[tuple[Any, Any]] = [
        (Instance.user_id, q.user_id),
        (Instance.image_ref, q.image_ref),
        (Instance.host, q.host),
        (Instance.node, q.node),
        (Instance.reservation_id, q.reservation_id),
        (Instance.availability_zone, q.availability_zone),
        (Instance.key_name, q.key_name),
        (Instance.locked, q.locked),
        (Instance.power_state, q.power_state),
    ]
    conds.extend(column == value for column, value in equal if value is not None)
    conds.extend(_tag_conditions(q))
    return conds


def _tag_conditions(q: ListQuery) -> list[sa.ColumnElement[bool]]:
    def has(tag: str) -> sa.ColumnElement[bool]:
        return sa.exists().where(InstanceTag.instance_uuid == Instance.uuid, InstanceTag.tag == tag)

    conds: list[sa.ColumnElement[bool]] = [has(t) for t in q.tags]
    if q.tags_any:
        conds.append(sa.or_(*(has(t) for t in q.tags_any)))
    if q.not_tags:
        conds.append(sa.not_(sa.and_(*(has(t) for t in q.not_tags))))
    if q.not_tags_any:
        conds.append(sa.not_(sa.or_(*(has(t) for t in q.not_tags_any))))
    return conds


def _regex(pattern: str) -> regex_filter.Matcher:
    # NOTE: linear-time matching (RE2): a backtracking ``re`` held the GIL for minutes on
    # patterns like "(a+)+$". The API refuses bad patterns before they get here.
    try:
        return regex_filter.compile_filter(pattern)
    except ValueError as exc:
        raise exceptions.Invalid(str(exc)) from None


def _regex_matches(session: Session, q: ListQuery, conds: list[sa.ColumnElement[bool]]) -> set[str]:
    """UUIDs of instances passing the regular-expression filters (evaluated in Python)."""
    rows = session.execute(sa.select(Instance.uuid, Instance.display_name).where(*conds))
    candidates = {u: n for u, n in rows}
    if q.name_regex is not None:
        name = _regex(q.name_regex)
        candidates = {u: n for u, n in candidates.items() if name.search(n)}
    for pattern, version in ((q.ip_regex, 4), (q.ip6_regex, 6)):
        if pattern is None or not candidates:
            continue
        wanted = _regex(pattern)
        hits = {
            uuid
            for uuid, addrs in addresses(session, list(candidates)).items()
            if any(a.version == version and wanted.search(a.address) for a in addrs)
        }
        candidates = {u: n for u, n in candidates.items() if u in hits}
    return set(candidates)


def _order(sort: Sequence[tuple[str, str]]) -> list[tuple[Any, str]]:
    keys = [(SORT_KEYS[k], d) for k, d in sort]
    if not any(k == "uuid" for k, _d in sort):
        keys.append((Instance.uuid, sort[-1][1] if sort else "desc"))
    return keys


def _after(keys: list[tuple[Any, str]], values: list[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after the marker in the (multi-key) sort order."""
    ors = []
    for i, (column, direction) in enumerate(keys):
        ands = [keys[j][0] == values[j] for j in range(i)]
        ands.append(column > values[i] if direction == "asc" else column < values[i])
        ors.append(sa.and_(*ands))
    return sa.or_(*ors)


def list_instances(
    session: Session, q: ListQuery, limit: int | None, marker: Instance | None
) -> list[Instance]:
    """One page of instances in ``q.sort`` order, after ``marker`` when given."""
    conds = _where(q)
    if q.name_regex is not None or q.ip_regex is not None or q.ip6_regex is not None:
        conds.append(Instance.uuid.in_(sorted(_regex_matches(session, q, conds))))
    keys = _order(q.sort)
    query = sa.select(Instance).where(*conds)
    if marker is not None:
        values = [session.scalar(sa.select(k).where(Instance.uuid == marker.uuid)) for k, _ in keys]
        query = query.where(_after(keys, values))
    query = query.order_by(*(k.asc() if d == "asc" else k.desc() for k, d in keys))
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


# -- batch loading for views ----------------------------------------------------------------
def _owned_port() -> sa.ColumnElement[bool]:
    """A port is a server's only if it names the server *and* is of the server's project.

    NOTE: ``device_id`` is written by the port's owner; a port of another project naming the
    server is not the server's (Nova lists ports by device and the instance's project)."""
    return sa.and_(Instance.uuid == Port.device_id, Instance.project_id == Port.project_id)


def addresses(session: Session, uuids: Sequence[str]) -> dict[str, list[Address]]:
    """instance uuid -> its fixed IPs, in port creation order (ports of its project only)."""
    found: dict[str, list[Address]] = {}
    if not uuids:
        return found
    query = (
        sa.select(
            Port.device_id,
            Port.id,
            Port.mac_address,
            Network.id,
            Network.name,
            IPAllocation.ip_address,
        )
        .join(Network, Network.id == Port.network_id)
        .join(Instance, _owned_port())
        .outerjoin(IPAllocation, IPAllocation.port_id == Port.id)
        .where(Port.device_id.in_(list(uuids)))
        .order_by(Port.created_at, Port.id, IPAllocation.id)
    )
    for device, port, mac, net_id, net_name, ip in session.execute(query):
        bucket = found.setdefault(device, [])
        if ip is not None:
            bucket.append(Address(net_id, net_name or net_id, port, mac, ip))
    return found


def load_extras(session: Session, rows: Sequence[Instance]) -> dict[str, Extras]:
    """Metadata, tags, latest fault, addresses and security groups of ``rows``."""
    uuids = [r.uuid for r in rows]
    extras = {u: Extras() for u in uuids}
    if not uuids:
        return extras
    for meta in session.scalars(
        sa.select(InstanceMetadata).where(InstanceMetadata.instance_uuid.in_(uuids))
    ):
        extras[meta.instance_uuid].metadata[meta.key] = meta.value
    tag_query = sa.select(InstanceTag).where(InstanceTag.instance_uuid.in_(uuids))
    for tag in session.scalars(tag_query.order_by(InstanceTag.tag)):
        extras[tag.instance_uuid].tags.append(tag.tag)
    fault_query = sa.select(InstanceFault).where(InstanceFault.instance_uuid.in_(uuids))
    for fault in session.scalars(fault_query.order_by(InstanceFault.id)):
        extras[fault.instance_uuid].fault = fault
    for uuid, addrs in addresses(session, uuids).items():
        extras[uuid].addresses = addrs
        extras[uuid].has_ports = True
    _load_security_groups(session, uuids, extras)
    return extras


def _load_security_groups(session: Session, uuids: list[str], extras: dict[str, Extras]) -> None:
    query = (
        sa.select(Port.device_id, SecurityGroup.name)
        .join(PortSecurityGroup, PortSecurityGroup.port_id == Port.id)
        .join(SecurityGroup, SecurityGroup.id == PortSecurityGroup.security_group_id)
        .join(Instance, _owned_port())
        .where(Port.device_id.in_(uuids))
        .order_by(SecurityGroup.name)
    )
    for device, name in session.execute(query):
        groups = extras[device].security_groups
        if name not in groups:
            groups.append(name)


def server_groups(session: Session, uuids: Sequence[str]) -> dict[str, list[str]]:
    """instance uuid -> uuids of the server groups it belongs to (2.71 ``server_groups``)."""
    query = (
        sa.select(ServerGroupMember.instance_uuid, ServerGroup.uuid)
        .join(ServerGroup, ServerGroup.id == ServerGroupMember.group_id)
        .where(ServerGroupMember.instance_uuid.in_(list(uuids)))
    )
    found: dict[str, list[str]] = {}
    for instance_uuid, group_uuid in session.execute(query):
        found.setdefault(instance_uuid, []).append(group_uuid)
    return found


def delete_system_metadata_item(session: Session, uuid: str, key: str) -> None:
    session.execute(
        sa.delete(InstanceSystemMetadata).where(
            InstanceSystemMetadata.instance_uuid == uuid, InstanceSystemMetadata.key == key
        )
    )
