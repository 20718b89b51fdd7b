"""Service liveness: heartbeats in, up/down and availability zones out (``os-services``).

Every stratus-scheduler, -conductor and -compute process calls :func:`report` every
``[DEFAULT] report_interval`` seconds (compute agents through the conductor, which owns the
database for them). A service is *up* while its last heartbeat is younger than
``[DEFAULT] service_down_time`` and it is not ``forced_down``; the scheduler's ComputeFilter only
places instances on compute services that are up and enabled.

Zones as Nova shows them: scheduler and conductor are in ``[compute]
internal_service_availability_zone`` ("internal"); a compute host is in the ``availability_zone``
metadata of an aggregate it belongs to, else ``[compute] default_availability_zone`` ("nova").
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.db.models.compute import AggregateHost, AggregateMetadata, ComputeService
from stratus.db.repositories.compute import heartbeats, server_refs

COMPUTE = "stratus-compute"
SCHEDULER = "stratus-scheduler"
CONDUCTOR = "stratus-conductor"
BINARIES = (SCHEDULER, CONDUCTOR, COMPUTE)
AZ_KEY = "availability_zone"


def report(session: Session, host: str, binary: str, topic: str) -> ComputeService:
    """Create the service record of ``(host, binary)`` or record a heartbeat on it.

    Call inside a write transaction; ``last_seen_up`` becomes now and ``report_count`` grows by
    one. Returns the row (whose ``disabled`` flag the caller may want to know).
    """
    if binary not in BINARIES:
        raise exceptions.Invalid(f"unknown service binary {binary!r}; expected one of {BINARIES}")
    return heartbeats.touch_service(session, host, binary, topic)


class Liveness(Protocol):
    """What ``is_up`` reads: a ``ComputeService`` row or anything with these attributes."""

    @property
    def forced_down(self) -> bool: ...

    @property
    def last_seen_up(self) -> dt.datetime | None: ...


def is_up(row: Liveness, service_down_time: int, now: dt.datetime | None = None) -> bool:
    """Whether the service counts as alive: a heartbeat within ``service_down_time`` seconds
    and not ``forced_down`` (an operator's fencing flag always wins)."""
    if row.forced_down or row.last_seen_up is None:
        return False
    age = (now or clock.utcnow()) - row.last_seen_up
    return age <= dt.timedelta(seconds=service_down_time)


def compute_host_up(session: Session, host: str | None, service_down_time: int) -> bool:
    """Whether ``host`` has a stratus-compute service and it is up (False for no host)."""
    if not host:
        return False
    service = server_refs.compute_service(session, host)
    return service is not None and is_up(service, service_down_time)


def state(row: ComputeService, cfg: Config) -> str:
    """``"up"`` or ``"down"``, as ``openstack compute service list`` prints it."""
    return "up" if is_up(row, cfg.default.service_down_time) else "down"


def status(row: ComputeService) -> str:
    """``"enabled"`` or ``"disabled"``."""
    return "disabled" if row.disabled else "enabled"


def updated_at(row: ComputeService) -> dt.datetime | None:
    """What the API shows as ``updated_at``: the last heartbeat (or the last change)."""
    candidates = [t for t in (row.last_seen_up, row.updated_at) if t is not None]
    return max(candidates) if candidates else row.created_at


def host_zones(session: Session, cfg: Config, host: str | None = None) -> dict[str, str]:
    """host -> availability zone for every host (or just ``host``) in an aggregate that has
    one; hosts not listed are in ``[compute] default_availability_zone``."""
    query = (
        sa.select(AggregateHost.host, AggregateMetadata.value)
        .join(AggregateMetadata, AggregateMetadata.aggregate_id == AggregateHost.aggregate_id)
        .where(AggregateMetadata.key == AZ_KEY)
        .order_by(AggregateHost.host, AggregateMetadata.value)
    )
    if host is not None:
        query = query.where(AggregateHost.host == host)
    zones: dict[str, str] = {}
    for host, zone in session.execute(query):
        zones.setdefault(host, zone)
    return zones


def zone_of(row: ComputeService, cfg: Config, zones: dict[str, str]) -> str:
    """The zone a service shows: ``zones`` is :func:`host_zones`' answer (fetched once)."""
    if row.binary != COMPUTE:
        return cfg.compute.internal_service_availability_zone
    return zones.get(row.host, cfg.compute.default_availability_zone)


def list_services(
    session: Session, binary: str | None = None, host: str | None = None
) -> list[ComputeService]:
    """Service rows ordered by id, optionally filtered by binary and/or host."""
    return heartbeats.list_services(session, binary=binary, host=host)


def set_disabled(row: ComputeService, disabled: bool, reason: str | None = None) -> None:
    """Enable or disable scheduling to the service; the reason is cleared when enabling."""
    row.disabled = disabled
    row.disabled_reason = reason if disabled else None
    row.updated_at = clock.utcnow()


def set_forced_down(row: ComputeService, forced_down: bool) -> None:
    """Fence (or un-fence) a service: forced down means down whatever its heartbeats say."""
    row.forced_down = forced_down
    row.updated_at = clock.utcnow()
