"""Host aggregates and the availability zones they define.

A compute host is in the zone named by the ``availability_zone`` metadata of an aggregate it
belongs to. As in Nova, a host can never end up in two zones: adding it to an aggregate whose
zone differs from that of its other aggregates is refused (409, as Nova's ``add_host``), and so is
changing an aggregate's zone (400) when one of its hosts is in another zone's aggregate or when
its hosts already run servers (they would silently change zone).
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.db.models.compute import Aggregate
from stratus.db.repositories.compute import aggregates as repo
from stratus.db.repositories.compute import hosts
from stratus.db.repositories.compute.aggregates import AZ_KEY, AggregateView

_AZ_RE = re.compile(r"^(?!\s)[^:\x00-\x1f\x7f]+(?<!\s)$")


def _check_zone_name(aggregate_name: str, zone: str) -> None:
    if not zone:
        raise exceptions.Invalid(
            f"Aggregate {aggregate_name} does not support empty named availability zone"
        )
    if len(zone) > 255 or not _AZ_RE.match(zone):
        raise exceptions.Invalid(
            f"Invalid availability zone name {zone!r}: 1-255 characters, no ':' and no "
            "leading or trailing whitespace."
        )


def _zone_conflicts(session: Session, agg: AggregateView, zone: str, host_list: list[str]) -> str:
    """Why ``host_list`` cannot be in ``zone`` through ``agg`` ('' when they can)."""
    others: set[str] = set()
    for host in host_list:
        others |= repo.zones_of_host(session, host, except_aggregate=agg.row.id)
    others.discard(zone)
    if others:
        return f"One or more hosts already in availability zone(s) {sorted(others)}"
    return ""


def _check_zone_change(session: Session, agg: AggregateView, zone: str | None, what: str) -> None:
    """Refuse to change ``agg``'s zone to ``zone`` when its hosts could not follow."""
    if zone is None or zone == agg.availability_zone:
        return
    _check_zone_name(agg.row.name, zone)
    reason = _zone_conflicts(session, agg, zone, agg.hosts)
    if not reason and any(hosts.count_live_instances(session, h) for h in agg.hosts):
        reason = "One or more hosts contain instances in this zone"
    if reason:
        raise exceptions.Invalid(f"Cannot {what} aggregate {agg.row.id}. Reason: {reason}.")


def create(session: Session, name: str, zone: str | None) -> AggregateView:
    if repo.name_taken(session, name):
        raise exceptions.Conflict(f"Aggregate {name} already exists.")
    if zone is not None:
        _check_zone_name(name, zone)
    row = Aggregate(uuid=ids.uuid_id(), name=name)
    session.add(row)
    session.flush()
    if zone is not None:
        repo.update_metadata(session, row.id, {AZ_KEY: zone})
    return repo.get(session, row.id)


def update(
    session: Session, aggregate_id: int, name: str | None, zone: str | None, zone_given: bool
) -> AggregateView:
    """Rename and/or re-zone (``zone_given`` with ``zone`` None removes the zone)."""
    agg = repo.get(session, aggregate_id)
    if name is not None and name != agg.row.name:
        if repo.name_taken(session, name, except_id=aggregate_id):
            raise exceptions.Conflict(f"Aggregate {name} already exists.")
        agg.row.name = name
    if zone_given:
        _check_zone_change(session, agg, zone, "update")
        repo.update_metadata(session, aggregate_id, {AZ_KEY: zone})
    _touch(agg.row)
    session.flush()
    return repo.get(session, aggregate_id)


def set_metadata(
    session: Session, aggregate_id: int, changes: dict[str, str | None]
) -> AggregateView:
    """Set (or, with None, delete) metadata keys; ``availability_zone`` re-zones."""
    agg = repo.get(session, aggregate_id)
    if AZ_KEY in changes:
        _check_zone_change(session, agg, changes[AZ_KEY], "update metadata of")
    repo.update_metadata(session, aggregate_id, changes)
    _touch(agg.row)
    return repo.get(session, aggregate_id)


def _touch(row: Aggregate) -> None:
    """Metadata and host changes live in other tables; the aggregate shows them as updates."""
    row.updated_at = clock.utcnow()


def add_host(session: Session, aggregate_id: int, host: str) -> AggregateView:
    agg = repo.get(session, aggregate_id)
    if not hosts.compute_host_exists(session, host):
        raise exceptions.NotFound(f"Compute host {host} could not be found.")
    if host in agg.hosts:
        raise exceptions.Conflict(f"Aggregate {aggregate_id} already has host {host}.")
    zone = agg.availability_zone
    if zone is not None:
        reason = _zone_conflicts(session, agg, zone, [host])
        if reason:
            raise exceptions.Conflict(
                f"Cannot add host to aggregate {aggregate_id}. Reason: {reason}."
            )
    repo.add_host(session, aggregate_id, host)
    _touch(agg.row)
    return repo.get(session, aggregate_id)


def remove_host(session: Session, aggregate_id: int, host: str) -> AggregateView:
    agg = repo.get(session, aggregate_id)
    if not repo.remove_host(session, aggregate_id, host):
        raise exceptions.NotFound(f"Cannot remove host {host} in aggregate {aggregate_id}")
    _touch(agg.row)
    return repo.get(session, aggregate_id)


def delete(session: Session, aggregate_id: int) -> None:
    agg = repo.get(session, aggregate_id)
    if agg.hosts:
        raise exceptions.Invalid(
            f"Cannot remove aggregate {aggregate_id}. Reason: Host aggregate is not empty."
        )
    repo.delete(session, agg.row)
