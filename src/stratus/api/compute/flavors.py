"""``/flavors``: list (``/detail``), show, create, update (2.55 description), delete.

Shapes per microversion: ``description`` from 2.55, ``extra_specs`` in the detailed views from
2.61, ``swap`` is ``""`` for no swap before 2.75 and ``0`` from 2.75 (which also rejects unknown
query parameters). Members see public flavors and private ones shared with their project.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import exceptions
from stratus.db.models.compute import Flavor
from stratus.db.repositories.compute import flavors as repo
from stratus.db.repositories.compute.flavors import FlavorQuery, Viewer
from stratus.services.compute import flavors as service

router = Router("compute")

_FLAVOR_ID = {
    "type": ["string", "number", "null"],
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^(?! )[a-zA-Z0-9. _-]+(?<! )$",
}
_CREATE_FIELDS: dict[str, Any] = {
    "name": pt.NAME,
    "id": _FLAVOR_ID,
    "ram": pt.POSITIVE_INT,
    "vcpus": pt.POSITIVE_INT,
    "disk": pt.NON_NEGATIVE_INT,
    "OS-FLV-EXT-DATA:ephemeral": pt.NON_NEGATIVE_INT,
    "swap": pt.NON_NEGATIVE_INT,
    "rxtx_factor": {
        "type": ["number", "string"],
        "pattern": r"^[0-9]+(\.[0-9]+)?$",
        "exclusiveMinimum": 0,
        "maximum": 3.40282e38,
    },
    "os-flavor-access:is_public": pt.BOOLEAN,
}
CREATE = schemas.wrapped(
    "flavor", schemas.obj(_CREATE_FIELDS, required=("name", "ram", "vcpus", "disk"))
)
CREATE_V255 = schemas.wrapped(
    "flavor",
    schemas.obj(
        {**_CREATE_FIELDS, "description": pt.DESCRIPTION}, required=("name", "ram", "vcpus", "disk")
    ),
)
UPDATE_V255 = schemas.wrapped(
    "flavor", schemas.obj({"description": pt.DESCRIPTION}, required=("description",))
)
_LIST_PARAMS = {"limit", "marker", "is_public", "minRam", "minDisk", "sort_key", "sort_dir"}


def viewer(req: ApiRequest) -> Viewer:
    return Viewer(req.ctx.project_id, req.ctx.is_admin)


def brief(req: ApiRequest, row: Flavor) -> dict[str, Any]:
    """The entry of ``GET /flavors``."""
    body: dict[str, Any] = {
        "id": row.flavorid,
        "name": row.name,
        "links": pt.links(req, "flavors", row.flavorid),
    }
    if microversion.of(req) >= (2, 55):
        body["description"] = row.description
    return body


def detail(req: ApiRequest, row: Flavor, extra_specs: dict[str, str] | None) -> dict[str, Any]:
    """A flavor as ``/flavors/detail``, show, create and update render it."""
    version = microversion.of(req)
    body: dict[str, Any] = {
        "id": row.flavorid,
        "name": row.name,
        "ram": row.memory_mb,
        "disk": row.root_gb,
        "swap": row.swap if (row.swap or version >= (2, 75)) else "",
        "OS-FLV-EXT-DATA:ephemeral": row.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": row.disabled,
        "vcpus": row.vcpus,
        "os-flavor-access:is_public": row.is_public,
        "rxtx_factor": row.rxtx_factor,
        "links": pt.links(req, "flavors", row.flavorid),
    }
    if version >= (2, 55):
        body["description"] = row.description
    if version >= (2, 61) and extra_specs is not None:
        body["extra_specs"] = extra_specs
    return body


def _specs_visible(req: ApiRequest) -> bool:
    return microversion.of(req) >= (2, 61) and req.allowed(
        "os_compute_api:os-flavor-extra-specs:index", {"project_id": req.ctx.project_id}
    )


def _int_query(req: ApiRequest, name: str) -> int | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise exceptions.Invalid(f"Invalid {name} filter [{raw}]") from None


def _is_public_filter(req: ApiRequest) -> bool | None:
    raw = req.query.get("is_public")
    if raw is None:
        return True
    if raw.strip().lower() == "none":
        return None
    try:
        value = pt.query_bool(req, "is_public")
    except exceptions.Invalid:
        raise exceptions.Invalid(f"Invalid is_public filter [{raw}]") from None
    return True if value is None else value


def _query(req: ApiRequest) -> FlavorQuery:
    if microversion.of(req) >= (2, 75):
        pt.reject_unknown_query(req, _LIST_PARAMS)
    q = FlavorQuery(
        min_memory_mb=_int_query(req, "minRam"),
        min_root_gb=_int_query(req, "minDisk"),
        sort_key=req.query.get("sort_key") or "flavorid",
        sort_dir=req.query.get("sort_dir") or "asc",
        limit=pt.limit(req),
        marker=req.query.get("marker"),
    )
    if q.sort_key not in repo.SORT_KEYS:
        raise exceptions.Invalid(f"Invalid sort_key {q.sort_key!r}.")
    if q.sort_dir not in ("asc", "desc"):
        raise exceptions.Invalid(f"Invalid sort_dir {q.sort_dir!r}; use asc or desc.")
    if req.ctx.is_admin:
        q.is_public = _is_public_filter(req)
    else:
        q.is_public, q.include_disabled = True, False
    return q


def _collection(req: ApiRequest, rows: list[Flavor], items: list[Any], path: str) -> Any:
    body: dict[str, Any] = {"flavors": items}
    q_limit = pt.limit(req)
    if rows and q_limit and len(rows) == q_limit:
        body["flavors_links"] = pt.next_link(req, path, rows[-1].flavorid)
    return body


@router.route("GET", "/v2.1/flavors")
def list_flavors(req: ApiRequest) -> Any:
    """List flavors (id, name, links)."""
    q = _query(req)
    with pt.reading(req) as session:
        rows = repo.list_(session, q, viewer(req))
    return _collection(req, rows, [brief(req, r) for r in rows], "flavors")


@router.route("GET", "/v2.1/flavors/detail")
def list_flavors_detail(req: ApiRequest) -> Any:
    """List flavors with details."""
    q = _query(req)
    with pt.reading(req) as session:
        rows = repo.list_(session, q, viewer(req))
        specs = repo.extra_specs_of(session, [r.id for r in rows]) if _specs_visible(req) else {}
    items = [detail(req, r, specs.get(r.id)) for r in rows]
    return _collection(req, rows, items, "flavors/detail")


@router.route("GET", "/v2.1/flavors/{flavor_id}")
def show_flavor(req: ApiRequest) -> Any:
    """Show a flavor."""
    with pt.reading(req) as session:
        row = repo.get(session, req.path["flavor_id"], viewer(req))
        specs = repo.extra_specs(session, row.id) if _specs_visible(req) else None
    return {"flavor": detail(req, row, specs)}


def _spec(body: dict[str, Any]) -> service.FlavorSpec:
    raw_id = body.get("id")
    if isinstance(raw_id, float) and raw_id.is_integer():
        raw_id = int(raw_id)
    rxtx = body.get("rxtx_factor", 1.0)
    return service.FlavorSpec(
        name=body["name"],
        flavorid=None if raw_id is None else str(raw_id),
        memory_mb=pt.to_int(body["ram"], "ram", 1),
        vcpus=pt.to_int(body["vcpus"], "vcpus", 1),
        root_gb=pt.to_int(body["disk"], "disk", 0),
        ephemeral_gb=pt.to_int(body.get("OS-FLV-EXT-DATA:ephemeral", 0), "ephemeral", 0),
        swap=pt.to_int(body.get("swap", 0), "swap", 0),
        rxtx_factor=float(rxtx),
        is_public=pt.to_bool(body.get("os-flavor-access:is_public", True)),
        description=body.get("description"),
    )


@router.route("POST", "/v2.1/flavors", policy="os_compute_api:os-flavor-manage:create")
def create_flavor(req: ApiRequest) -> Any:
    """Create a flavor (admin)."""
    schemas.validate(CREATE_V255 if microversion.of(req) >= (2, 55) else CREATE, req.body)
    spec = _spec(req.body["flavor"])
    with req.state.db.write() as session:
        row = service.create(session, spec)
    return {"flavor": detail(req, row, {} if _specs_visible(req) else None)}


@router.route("PUT", "/v2.1/flavors/{flavor_id}", policy="os_compute_api:os-flavor-manage:update")
def update_flavor(req: ApiRequest) -> Any:
    """Update a flavor's description (2.55, admin)."""
    microversion.require(req, (2, 55))
    schemas.validate(UPDATE_V255, req.body)
    with req.state.db.write() as session:
        row = service.set_description(
            session, req.path["flavor_id"], req.body["flavor"]["description"]
        )
        specs = repo.extra_specs(session, row.id) if _specs_visible(req) else None
    return {"flavor": detail(req, row, specs)}


@router.route(
    "DELETE",
    "/v2.1/flavors/{flavor_id}",
    policy="os_compute_api:os-flavor-manage:delete",
    status=202,
)
def delete_flavor(req: ApiRequest) -> Reply:
    """Delete a flavor (admin); servers built from it keep their copy."""
    with req.state.db.write() as session:
        service.delete(session, req.path["flavor_id"])
    return Reply(None, 202)
