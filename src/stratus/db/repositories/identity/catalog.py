"""Services, endpoints and regions (the service catalog)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.identity import Endpoint, Region, Service
from stratus.db.repositories.identity.common import flush, get_or_404


def enabled_catalog(session: Session) -> list[tuple[Service, list[Endpoint]]]:
    """Every enabled service with its enabled endpoints, ordered for stable output."""
    services = list(
        session.scalars(
            sa.select(Service).where(Service.enabled.is_(True)).order_by(Service.type, Service.id)
        )
    )
    endpoints = list(
        session.scalars(
            sa.select(Endpoint)
            .where(Endpoint.enabled.is_(True))
            .order_by(Endpoint.interface, Endpoint.id)
        )
    )
    by_service: dict[str, list[Endpoint]] = {}
    for ep in endpoints:
        by_service.setdefault(ep.service_id, []).append(ep)
    return [(s, by_service.get(s.id, [])) for s in services]


def service_by_type(session: Session, service_type: str) -> Service | None:
    query = (
        sa.select(Service).where(Service.type == service_type).order_by(Service.created_at).limit(1)
    )
    return session.scalar(query)


def ensure_region(session: Session, region_id: str) -> Region:
    region = session.get(Region, region_id)
    if region is None:
        region = Region(id=region_id, description="", extra={})
        flush(session, region)
    return region


def endpoints_of(session: Session, service_id: str) -> list[Endpoint]:
    return list(session.scalars(sa.select(Endpoint).where(Endpoint.service_id == service_id)))


# -- regions ------------------------------------------------------------------------------------
def get_region(session: Session, region_id: str) -> Region:
    return get_or_404(session, Region, region_id, "region")


def list_regions(session: Session, parent_region_id: str | None = None) -> list[Region]:
    query = sa.select(Region).order_by(Region.id)
    if parent_region_id is not None:
        query = query.where(Region.parent_region_id == parent_region_id)
    return list(session.scalars(query))


def child_region_ids(session: Session, region_id: str) -> list[str]:
    query = sa.select(Region.id).where(Region.parent_region_id == region_id)
    return list(session.scalars(query))


def delete_regions(session: Session, region_ids: list[str]) -> None:
    """Delete regions (deepest first); endpoints in them keep working without a region."""
    session.execute(
        sa.update(Endpoint).where(Endpoint.region_id.in_(region_ids)).values(region_id=None)
    )
    for region_id in reversed(region_ids):
        session.execute(sa.delete(Region).where(Region.id == region_id))
    session.flush()


# -- services -----------------------------------------------------------------------------------
def get_service(session: Session, service_id: str) -> Service:
    return get_or_404(session, Service, service_id, "service")


def list_services(
    session: Session, service_type: str | None = None, name: str | None = None
) -> list[Service]:
    query = sa.select(Service).order_by(Service.type, Service.id)
    if service_type is not None:
        query = query.where(Service.type == service_type)
    if name is not None:
        query = query.where(Service.name == name)
    return list(session.scalars(query))


def delete_service(session: Session, row: Service) -> None:
    session.execute(sa.delete(Endpoint).where(Endpoint.service_id == row.id))
    session.delete(row)
    session.flush()


# -- endpoints ----------------------------------------------------------------------------------
def get_endpoint(session: Session, endpoint_id: str) -> Endpoint:
    return get_or_404(session, Endpoint, endpoint_id, "endpoint")


def list_endpoints(
    session: Session,
    interface: str | None = None,
    service_id: str | None = None,
    region_id: str | None = None,
) -> list[Endpoint]:
    query = sa.select(Endpoint).order_by(Endpoint.service_id, Endpoint.interface, Endpoint.id)
    if interface is not None:
        query = query.where(Endpoint.interface == interface)
    if service_id is not None:
        query = query.where(Endpoint.service_id == service_id)
    if region_id is not None:
        query = query.where(Endpoint.region_id == region_id)
    return list(session.scalars(query))


def delete_endpoint(session: Session, row: Endpoint) -> None:
    session.delete(row)
    session.flush()
