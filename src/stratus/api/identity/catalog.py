"""``/v3/regions``, ``/v3/services`` and ``/v3/endpoints``: managing the service catalog."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.identity import params, schemas, views
from stratus.common import exceptions
from stratus.db.repositories.identity import catalog
from stratus.services.identity import catalog_admin as service

router = Router("identity")

INTERFACES = ("public", "internal", "admin")


# -- regions ------------------------------------------------------------------------------------
@router.route("GET", "/v3/regions", policy="identity:list_regions")
def list_regions(req: ApiRequest) -> dict[str, Any]:
    """List regions (filter: parent_region_id)."""
    with req.state.db.read() as session:
        rows = catalog.list_regions(session, params.text(req, "parent_region_id"))
        return views.collection(req, "regions", [views.region(req, r) for r in rows])


@router.route(
    "POST", "/v3/regions", policy="identity:create_region", body=schemas.CREATE_REGION, status=201
)
def create_region(req: ApiRequest) -> dict[str, Any]:
    """Create a region (with a given id, or a generated one)."""
    with req.state.db.write() as session:
        return {"region": views.region(req, service.create_region(session, req.body["region"]))}


@router.route(
    "PUT",
    "/v3/regions/{region_id}",
    policy="identity:create_region",
    body=schemas.CREATE_REGION,
    status=201,
)
def create_region_with_id(req: ApiRequest) -> dict[str, Any]:
    """Create a region with the id in the URL."""
    with req.state.db.write() as session:
        row = service.create_region(session, req.body["region"], req.path["region_id"])
        return {"region": views.region(req, row)}


@router.route("GET", "/v3/regions/{region_id}", policy="identity:get_region")
def show_region(req: ApiRequest) -> dict[str, Any]:
    """Show a region."""
    with req.state.db.read() as session:
        return {"region": views.region(req, catalog.get_region(session, req.path["region_id"]))}


@router.route(
    "PATCH", "/v3/regions/{region_id}", policy="identity:update_region", body=schemas.UPDATE_REGION
)
def update_region(req: ApiRequest) -> dict[str, Any]:
    """Update a region."""
    with req.state.db.write() as session:
        row = service.update_region(session, req.path["region_id"], req.body["region"])
        return {"region": views.region(req, row)}


@router.route("DELETE", "/v3/regions/{region_id}", policy="identity:delete_region", status=204)
def delete_region(req: ApiRequest) -> None:
    """Delete a region and its child regions."""
    with req.state.db.write() as session:
        service.delete_region(session, req.path["region_id"])


# -- services -----------------------------------------------------------------------------------
@router.route("GET", "/v3/services", policy="identity:list_services")
def list_services(req: ApiRequest) -> dict[str, Any]:
    """List services (filters: type, name)."""
    with req.state.db.read() as session:
        rows = catalog.list_services(session, params.text(req, "type"), params.text(req, "name"))
        return views.collection(req, "services", [views.service(req, s) for s in rows])


@router.route(
    "POST",
    "/v3/services",
    policy="identity:create_service",
    body=schemas.CREATE_SERVICE,
    status=201,
)
def create_service(req: ApiRequest) -> dict[str, Any]:
    """Create a service."""
    with req.state.db.write() as session:
        return {"service": views.service(req, service.create_service(session, req.body["service"]))}


@router.route("GET", "/v3/services/{service_id}", policy="identity:get_service")
def show_service(req: ApiRequest) -> dict[str, Any]:
    """Show a service."""
    with req.state.db.read() as session:
        return {"service": views.service(req, catalog.get_service(session, req.path["service_id"]))}


@router.route(
    "PATCH",
    "/v3/services/{service_id}",
    policy="identity:update_service",
    body=schemas.UPDATE_SERVICE,
)
def update_service(req: ApiRequest) -> dict[str, Any]:
    """Update a service."""
    with req.state.db.write() as session:
        row = service.update_service(session, req.path["service_id"], req.body["service"])
        return {"service": views.service(req, row)}


@router.route("DELETE", "/v3/services/{service_id}", policy="identity:delete_service", status=204)
def delete_service(req: ApiRequest) -> None:
    """Delete a service and its endpoints."""
    with req.state.db.write() as session:
        service.delete_service(session, req.path["service_id"])


# -- endpoints ----------------------------------------------------------------------------------
@router.route("GET", "/v3/endpoints", policy="identity:list_endpoints")
def list_endpoints(req: ApiRequest) -> dict[str, Any]:
    """List endpoints (filters: interface, service_id, region_id)."""
    interface = params.text(req, "interface")
    if interface is not None and interface not in INTERFACES:
        raise exceptions.Invalid(f"Invalid interface {interface!r}: use public, internal or admin.")
    with req.state.db.read() as session:
        rows = catalog.list_endpoints(
            session, interface, params.text(req, "service_id"), params.text(req, "region_id")
        )
        return views.collection(req, "endpoints", [views.endpoint(req, e) for e in rows])


@router.route(
    "POST",
    "/v3/endpoints",
    policy="identity:create_endpoint",
    body=schemas.CREATE_ENDPOINT,
    status=201,
)
def create_endpoint(req: ApiRequest) -> dict[str, Any]:
    """Create an endpoint (unknown region_id or service_id: 400, as in Keystone)."""
    with req.state.db.write() as session:
        return {
            "endpoint": views.endpoint(req, service.create_endpoint(session, req.body["endpoint"]))
        }


@router.route("GET", "/v3/endpoints/{endpoint_id}", policy="identity:get_endpoint")
def show_endpoint(req: ApiRequest) -> dict[str, Any]:
    """Show an endpoint."""
    with req.state.db.read() as session:
        return {
            "endpoint": views.endpoint(req, catalog.get_endpoint(session, req.path["endpoint_id"]))
        }


@router.route(
    "PATCH",
    "/v3/endpoints/{endpoint_id}",
    policy="identity:update_endpoint",
    body=schemas.UPDATE_ENDPOINT,
)
def update_endpoint(req: ApiRequest) -> dict[str, Any]:
    """Update an endpoint."""
    with req.state.db.write() as session:
        row = service.update_endpoint(session, req.path["endpoint_id"], req.body["endpoint"])
        return {"endpoint": views.endpoint(req, row)}


@router.route(
    "DELETE", "/v3/endpoints/{endpoint_id}", policy="identity:delete_endpoint", status=204
)
def delete_endpoint(req: ApiRequest) -> Reply:
    """Delete an endpoint."""
    with req.state.db.write() as session:
        service.delete_endpoint(session, req.path["endpoint_id"])
    return Reply(None, status=204)
