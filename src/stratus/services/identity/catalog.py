"""The service catalog: rendering it for tokens, and registering Stratus's own services.

Each Stratus service that runs registers itself (``ensure_service``) at start-up with public,
internal and admin endpoints in the configured region, as the installation guides do by hand with
``openstack service create`` / ``openstack endpoint create``. Existing rows are left alone, so an
operator's changes survive restarts.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import ids
from stratus.db.models.identity import Endpoint, Service
from stratus.db.repositories.identity import catalog

INTERFACES = ("public", "internal", "admin")


@dataclasses.dataclass(frozen=True)
class ServiceSpec:
    """A service Stratus provides: catalog type, name, description and URL."""

    type: str
    name: str
    description: str
    url: str


def render(session: Session) -> list[dict[str, Any]]:
    """The catalog in the shape of a Keystone v3 token's ``catalog``."""
    result = []
    for service, endpoints in catalog.enabled_catalog(session):
        result.append(
            {
                "id": service.id,
                "type": service.type,
                "name": service.name,
                "endpoints": [
                    {
                        "id": ep.id,
                        "interface": ep.interface,
                        "region": ep.region_id,
                        "region_id": ep.region_id,
                        "url": ep.url,
                    }
                    for ep in endpoints
                ],
            }
        )
    return result


def ensure_service(session: Session, spec: ServiceSpec, region_id: str) -> Service:
    """Register ``spec`` unless a service of that type exists; add missing interfaces."""
    catalog.ensure_region(session, region_id)
    service = catalog.service_by_type(session, spec.type)
    if service is None:
        service = Service(
            id=ids.hex_id(),
            type=spec.type,
            name=spec.name,
            description=spec.description,
            enabled=True,
            extra={},
        )
        session.add(service)
        session.flush()
    existing = catalog.endpoints_of(session, service.id)
    for ep in existing:
        # NOTE: endpoints Stratus registered itself follow the configuration (my_ip, ports);
        # endpoints an operator created or edited are never touched.
        if ep.extra.get("stratus_managed") and ep.url != spec.url:
            ep.url = spec.url
    have = {ep.interface for ep in existing}
    for interface in INTERFACES:
        if interface not in have:
            session.add(
                Endpoint(
                    id=ids.hex_id(),
                    service_id=service.id,
                    interface=interface,
                    url=spec.url,
                    region_id=region_id,
                    enabled=True,
                    extra={"stratus_managed": True},
                )
            )
    session.flush()
    return service
