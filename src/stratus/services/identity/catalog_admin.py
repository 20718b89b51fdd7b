"""Managing the service catalog: regions, services and endpoints (``/v3/regions`` ...).

Follows Keystone: an endpoint naming an unknown ``region_id`` or ``service_id`` is a 400, while
the legacy ``region`` attribute creates the region when it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.db.models.identity import Endpoint, Region, Service
from stratus.db.repositories.identity import catalog
from stratus.db.repositories.identity.common import flush
from stratus.services.identity.domains import extras

REGION_KNOWN = ("id", "description", "parent_region_id")
SERVICE_KNOWN = ("id", "type", "name", "description", "enabled")
ENDPOINT_KNOWN = (
    "id",
    "service_id",
    "interface",
    "url",
    "region_id",
    "region",
    "enabled",
    "legacy_endpoint_id",
)


# -- regions ------------------------------------------------------------------------------------
def _check_parent(session: Session, region_id: str, parent_id: str | None) -> None:
    if parent_id is None:
        return
    if session.get(Region, parent_id) is None:
        raise exceptions.NotFound(f"Could not find region: {parent_id}.")
    seen = {region_id}
    current: str | None = parent_id
    while current is not None:
        if current in seen:
            raise exceptions.Invalid(
                f"Circular reference or a repeated entry found in region tree - {parent_id}."
            )
        seen.add(current)
        row = session.get(Region, current)
        current = row.parent_region_id if row else None


def create_region(
    session: Session, body: Mapping[str, Any], region_id: str | None = None
) -> Region:
    region_id = region_id or body.get("id") or ids.hex_id()
    if "id" in body and body["id"] != region_id:
        raise exceptions.Invalid("Conflicting region IDs specified: the URL and the body differ.")
    if session.get(Region, region_id) is not None:
        raise exceptions.Conflict(
            f"Conflict occurred attempting to store region - Duplicate ID, {region_id}."
        )
    _check_parent(session, region_id, body.get("parent_region_id"))
    row = Region(
        id=region_id,
        description=body.get("description") or "",
        parent_region_id=body.get("parent_region_id"),
        extra=extras(body, REGION_KNOWN),
    )
    flush(session, row)
    return row


def update_region(session: Session, region_id: str, patch: Mapping[str, Any]) -> Region:
    row = catalog.get_region(session, region_id)
    if "id" in patch and patch["id"] != region_id:
        raise exceptions.Invalid("Cannot change the ID of a region.")
    if "parent_region_id" in patch:
        _check_parent(session, region_id, patch["parent_region_id"])
        row.parent_region_id = patch["parent_region_id"]
    if "description" in patch:
        row.description = patch["description"] or ""
    row.extra = {**row.extra, **extras(patch, REGION_KNOWN)}
    session.flush()
    return row


def delete_region(session: Session, region_id: str) -> None:
    """Delete a region and the regions below it."""
    catalog.get_region(session, region_id)
    order = [region_id]
    for current in order:
        order.extend(catalog.child_region_ids(session, current))
    catalog.delete_regions(session, order)


# -- services -----------------------------------------------------------------------------------
def create_service(session: Session, body: Mapping[str, Any]) -> Service:
    row = Service(
        id=ids.hex_id(),
        type=body["type"],
        name=body.get("name") or "",
        description=body.get("description") or "",
        enabled=body.get("enabled", True),
        extra=extras(body, SERVICE_KNOWN),
    )
    flush(session, row)
    return row


def update_service(session: Session, service_id: str, patch: Mapping[str, Any]) -> Service:
    row = catalog.get_service(session, service_id)
    if "id" in patch and patch["id"] != service_id:
        raise exceptions.Invalid("Cannot change the ID of a service.")
    for field in ("type", "name", "description", "enabled"):
        if field in patch:
            value = patch[field]
            setattr(row, field, "" if value is None and field != "enabled" else value)
    row.extra = {**row.extra, **extras(patch, SERVICE_KNOWN)}
    session.flush()
    return row


def delete_service(session: Session, service_id: str) -> None:
    catalog.delete_service(session, catalog.get_service(session, service_id))


# -- endpoints ----------------------------------------------------------------------------------
def _region_of(session: Session, body: Mapping[str, Any]) -> str | None:
    region_id = body.get("region_id")
    if region_id is not None:
        if session.get(Region, region_id) is None:
            raise exceptions.Invalid(
                "Expecting to find endpoint region_id in region table. The server could not "
                "comply with the request since it is either malformed or otherwise incorrect."
            )
        return str(region_id)
    legacy = body.get("region")
    if legacy:
        # NOTE: Keystone auto-creates regions named by the legacy attribute (v2 compatibility).
        catalog.ensure_region(session, legacy)
        return str(legacy)
    return None


def _check_service(session: Session, service_id: str) -> None:
    if session.get(Service, service_id) is None:
        raise exceptions.Invalid(
            "Expecting to find endpoint service_id in service table. The server could not "
            "comply with the request since it is either malformed or otherwise incorrect."
        )


def create_endpoint(session: Session, body: Mapping[str, Any]) -> Endpoint:
    _check_service(session, body["service_id"])
    row = Endpoint(
        id=ids.hex_id(),
        service_id=body["service_id"],
        interface=body["interface"],
        url=body["url"],
        region_id=_region_of(session, body),
        enabled=body.get("enabled", True),
        extra=extras(body, ENDPOINT_KNOWN),
    )
    flush(session, row)
    return row


def update_endpoint(session: Session, endpoint_id: str, patch: Mapping[str, Any]) -> Endpoint:
    row = catalog.get_endpoint(session, endpoint_id)
    if "id" in patch and patch["id"] != endpoint_id:
        raise exceptions.Invalid("Cannot change the ID of an endpoint.")
    if "service_id" in patch:
        _check_service(session, patch["service_id"])
        row.service_id = patch["service_id"]
    if "region_id" in patch or "region" in patch:
        row.region_id = _region_of(session, patch)
    for field in ("interface", "url", "enabled"):
        if field in patch:
            setattr(row, field, patch[field])
    row.extra = {**row.extra, **extras(patch, ENDPOINT_KNOWN)}
    session.flush()
    return row


def delete_endpoint(session: Session, endpoint_id: str) -> None:
    catalog.delete_endpoint(session, catalog.get_endpoint(session, endpoint_id))
