"""``/os-availability-zone`` (everyone: zone names and whether they are available) and
``/os-availability-zone/detail`` (admin: hosts and their services per zone)."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import param_types as pt
from stratus.services.compute import zones as service

router = Router("compute")


@router.route(
    "GET", "/v2.1/os-availability-zone", policy="os_compute_api:os-availability-zone:list"
)
def list_zones(req: ApiRequest) -> Any:
    """Availability zones servers can be created in."""
    with pt.reading(req) as session:
        zones = service.list_zones(session, req.state.config)
    return {
        "availabilityZoneInfo": [
            {"zoneName": z.name, "zoneState": {"available": z.available}, "hosts": None}
            for z in zones
        ]
    }


@router.route(
    "GET",
    "/v2.1/os-availability-zone/detail",
    policy="os_compute_api:os-availability-zone:detail",
)
def list_zones_detail(req: ApiRequest) -> Any:
    """Every zone with its hosts and their services (admin)."""
    with pt.reading(req) as session:
        zones = service.detail_zones(session, req.state.config)
    items = []
    for zone in zones:
        hosts: dict[str, Any] | None = None
        if zone.hosts is not None:
            hosts = {
                host: {
                    s.binary: {
                        "available": s.available,
                        "active": s.active,
                        "updated_at": s.updated_at,
                    }
                    for s in services
                }
                for host, services in zone.hosts.items()
            }
        items.append(
            {"zoneName": zone.name, "zoneState": {"available": zone.available}, "hosts": hosts}
        )
    return {"availabilityZoneInfo": items}
