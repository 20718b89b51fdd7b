"""``/flavors/{id}/os-extra_specs[/{key}]`` and ``/flavors/{id}/os-flavor-access`` plus the
``addTenantAccess`` / ``removeTenantAccess`` flavor actions (admin).

Extra spec keys are 1-255 of ``[a-zA-Z0-9-_:. ]``; values strings, numbers or booleans of at
most 255 characters, stored and returned as strings.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import exceptions
from stratus.db.repositories.compute import flavors as repo
from stratus.db.repositories.compute.flavors import Viewer
from stratus.services.compute import flavors as service

router = Router("compute")

_SPEC_KEY = r"^[a-zA-Z0-9-_:. ]{1,255}$"
_SPECS: dict[str, Any] = {
    "type": "object",
    "patternProperties": {
        _SPEC_KEY: {"type": ["string", "number", "boolean"], "minLength": 0, "maxLength": 255}
    },
    "additionalProperties": False,
}
SET_SPECS = schemas.obj({"extra_specs": _SPECS}, required=("extra_specs",))
UPDATE_SPEC = {**_SPECS, "minProperties": 1, "maxProperties": 1}
_TENANT = schemas.obj(
    {"tenant": {"type": "string", "minLength": 1, "maxLength": 255}}, required=("tenant",)
)
ACTION = {
    "type": "object",
    "properties": {"addTenantAccess": _TENANT, "removeTenantAccess": _TENANT},
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}


def _check_lengths(specs: dict[str, str]) -> None:
    for key, value in specs.items():
        if len(value) > 255:
            raise exceptions.ValidationError(
                f"extra_specs value of {key} has more than 255 characters."
            )


@router.route("GET", "/v2.1/flavors/{flavor_id}/os-extra_specs")
def list_extra_specs(req: ApiRequest) -> Any:
    """List a flavor's extra specs."""
    req.authorize("os_compute_api:os-flavor-extra-specs:index", {"project_id": req.ctx.project_id})
    with pt.reading(req) as session:
        row = repo.get(session, req.path["flavor_id"], Viewer(req.ctx.project_id, req.ctx.is_admin))
        return {"extra_specs": repo.extra_specs(session, row.id)}


@router.route(
    "POST",
    "/v2.1/flavors/{flavor_id}/os-extra_specs",
    policy="os_compute_api:os-flavor-extra-specs:create",
    body=SET_SPECS,
)
def create_extra_specs(req: ApiRequest) -> Any:
    """Create or update extra specs (admin)."""
    specs = service.stringify_specs(req.body["extra_specs"])
    _check_lengths(specs)
    with req.state.db.write() as session:
        service.set_specs(session, req.path["flavor_id"], specs)
    return {"extra_specs": specs}


@router.route("GET", "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}")
def show_extra_spec(req: ApiRequest) -> Any:
    """Show one extra spec."""
    req.authorize("os_compute_api:os-flavor-extra-specs:show", {"project_id": req.ctx.project_id})
    key = req.path["key"]
    with pt.reading(req) as session:
        repo.get(session, req.path["flavor_id"], Viewer(req.ctx.project_id, req.ctx.is_admin))
        return {key: service.get_spec(session, req.path["flavor_id"], key)}


@router.route(
    "PUT",
    "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}",
    policy="os_compute_api:os-flavor-extra-specs:update",
    body=UPDATE_SPEC,
)
def update_extra_spec(req: ApiRequest) -> Any:
    """Set one extra spec; the body's only key must be the one in the URL (admin)."""
    key = req.path["key"]
    if key not in req.body:
        raise exceptions.Invalid("Request body and URI mismatch")
    specs = service.stringify_specs(req.body)
    _check_lengths(specs)
    with req.state.db.write() as session:
        service.set_specs(session, req.path["flavor_id"], specs)
    return specs


@router.route(
    "DELETE",
    "/v2.1/flavors/{flavor_id}/os-extra_specs/{key}",
    policy="os_compute_api:os-flavor-extra-specs:delete",
)
def delete_extra_spec(req: ApiRequest) -> None:
    """Delete one extra spec (admin)."""
    with req.state.db.write() as session:
        service.delete_spec(session, req.path["flavor_id"], req.path["key"])


def _access(flavorid: str, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavorid, "tenant_id": p} for p in projects]}


@router.route(
    "GET", "/v2.1/flavors/{flavor_id}/os-flavor-access", policy="os_compute_api:os-flavor-access"
)
def list_flavor_access(req: ApiRequest) -> Any:
    """List the projects that may use a private flavor (admin)."""
    flavorid = req.path["flavor_id"]
    with pt.reading(req) as session:
        return _access(flavorid, service.access_list(session, flavorid))


@router.route("POST", "/v2.1/flavors/{flavor_id}/action", body=ACTION)
def flavor_action(req: ApiRequest) -> Any:
    """``addTenantAccess`` / ``removeTenantAccess`` (admin)."""
    flavorid = req.path["flavor_id"]
    if "addTenantAccess" in req.body:
        req.authorize("os_compute_api:os-flavor-access:add_tenant_access")
        tenant = req.body["addTenantAccess"]["tenant"]
        reject_public = microversion.of(req) >= (2, 7)
        with req.state.db.write() as session:
            projects = service.add_access(session, flavorid, tenant, reject_public)
    else:
        req.authorize("os_compute_api:os-flavor-access:remove_tenant_access")
        tenant = req.body["removeTenantAccess"]["tenant"]
        with req.state.db.write() as session:
            projects = service.remove_access(session, flavorid, tenant)
    return _access(flavorid, projects)
