"""Availability zones as ``os-availability-zone`` shows them, derived from service records.

A zone is *available* when at least one enabled service is in it, *not available* when its
services are all disabled; zones come from services (a compute host's aggregate zone, or
``[compute] default_availability_zone``; other services are in the internal zone), so a zone
with no host yet is not listed — Nova's rule. The plain listing hides the internal zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from stratus.common.config import Config
from stratus.db.models.compute import ComputeService
from stratus.services import servicegroup


@dataclasses.dataclass(frozen=True)
class ServiceState:
    """One service of one host in the detailed listing."""

    binary: str
    available: bool
    active: bool
    updated_at: dt.datetime | None


@dataclasses.dataclass
class Zone:
    name: str
    available: bool
    hosts: dict[str, list[ServiceState]] | None = None


def _by_zone(session: Session, cfg: Config) -> list[tuple[str, ComputeService]]:
    zones = servicegroup.host_zones(session, cfg)
    return [(servicegroup.zone_of(s, cfg, zones), s) for s in servicegroup.list_services(session)]


def _split(placed: list[tuple[str, ComputeService]]) -> tuple[list[str], list[str]]:
    available = sorted({zone for zone, s in placed if not s.disabled})
    unavailable = sorted({zone for zone, s in placed if s.disabled} - set(available))
    return available, unavailable


def list_zones(session: Session, cfg: Config) -> list[Zone]:
    """Available zones then unavailable ones, without the internal zone."""
    available, unavailable = _split(_by_zone(session, cfg))
    internal = cfg.compute.internal_service_availability_zone
    return [Zone(z, True) for z in available if z != internal] + [
        Zone(z, False) for z in unavailable if z != internal
    ]


def detail_zones(session: Session, cfg: Config) -> list[Zone]:
    """Every zone; available ones list their hosts and each host's enabled services."""
    placed = _by_zone(session, cfg)
    available, unavailable = _split(placed)
    down_time = cfg.default.service_down_time
    result = []
    for zone in available:
        hosts: dict[str, list[ServiceState]] = {}
        for where, svc in placed:
            if where != zone or svc.disabled:
                continue
            hosts.setdefault(svc.host, []).append(
                ServiceState(
                    svc.binary,
                    servicegroup.is_up(svc, down_time),
                    not svc.disabled,
                    servicegroup.updated_at(svc),
                )
            )
        result.append(Zone(zone, True, hosts))
    return result + [Zone(z, False) for z in unavailable]


def zone_of_host(session: Session, cfg: Config, host: str) -> str:
    """The zone of compute host ``host`` (its aggregate's, else the default zone)."""
    return servicegroup.host_zones(session, cfg).get(host, cfg.compute.default_availability_zone)
