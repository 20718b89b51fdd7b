"""``/os-aggregates`` (admin): CRUD plus the ``add_host``, ``remove_host`` and
``set_metadata`` actions. ``uuid`` is shown from 2.41; create answers without ``hosts`` and
``metadata`` (Nova's historical shape); delete and actions answer 200."""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import exceptions
from stratus.db.repositories.compute import aggregates as repo
from stratus.db.repositories.compute.aggregates import AggregateView
from stratus.services.compute import aggregates as service

router = Router("compute")

_AZ = {"oneOf": [{**pt.NAME, "pattern": r"^(?!\s)[^:\x00-\x1f\x7f]*(?<!\s)$"}, {"type": "null"}]}
CREATE = schemas.wrapped(
    "aggregate", schemas.obj({"name": pt.NAME, "availability_zone": _AZ}, required=("name",))
)
UPDATE = schemas.wrapped(
    "aggregate",
    {
        **schemas.obj({"name": pt.NAME, "availability_zone": _AZ}),
        "anyOf": [{"required": ["name"]}, {"required": ["availability_zone"]}],
    },
)
_HOST_BODY = schemas.obj({"host": pt.HOST}, required=("host",))
_METADATA = {
    "type": "object",
    "patternProperties": {
        r"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": ["string", "null"], "maxLength": 255}
    },
    "additionalProperties": False,
}
ACTION = {
    "type": "object",
    "properties": {
        "add_host": _HOST_BODY,
        "remove_host": _HOST_BODY,
        "set_metadata": schemas.obj({"metadata": _METADATA}, required=("metadata",)),
    },
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}


def render(req: ApiRequest, agg: AggregateView, full: bool = True) -> dict[str, Any]:
    row = agg.row
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "availability_zone": agg.availability_zone,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "deleted_at": None,
        "deleted": False,
    }
    if full:
        body["hosts"] = agg.hosts
        body["metadata"] = agg.metadata
    if microversion.of(req) >= (2, 41):
        body["uuid"] = row.uuid
    return body


def _id(req: ApiRequest) -> int:
    raw = req.path["aggregate_id"]
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.Invalid(f"Invalid aggregate id {raw!r}: an integer is expected.") from None
    if abs(value) > pt.MAX_INT:  # NOTE: beyond the column's range no row can match
        raise exceptions.NotFound(f"Aggregate {raw} could not be found.")
    return value


@router.route("GET", "/v2.1/os-aggregates", policy="os_compute_api:os-aggregates:index")
def list_aggregates(req: ApiRequest) -> Any:
    """List aggregates with hosts and metadata."""
    with pt.reading(req) as session:
        return {"aggregates": [render(req, a) for a in repo.list_(session)]}


@router.route(
    "POST", "/v2.1/os-aggregates", policy="os_compute_api:os-aggregates:create", body=CREATE
)
def create_aggregate(req: ApiRequest) -> Any:
    """Create an aggregate, optionally defining an availability zone."""
    spec = req.body["aggregate"]
    with req.state.db.write() as session:
        agg = service.create(session, spec["name"].strip(), spec.get("availability_zone"))
    return {"aggregate": render(req, agg, full=False)}


@router.route(
    "GET", "/v2.1/os-aggregates/{aggregate_id}", policy="os_compute_api:os-aggregates:show"
)
def show_aggregate(req: ApiRequest) -> Any:
    """Show an aggregate."""
    aggregate_id = _id(req)
    with pt.reading(req) as session:
        return {"aggregate": render(req, repo.get(session, aggregate_id))}


@router.route(
    "PUT",
    "/v2.1/os-aggregates/{aggregate_id}",
    policy="os_compute_api:os-aggregates:update",
    body=UPDATE,
)
def update_aggregate(req: ApiRequest) -> Any:
    """Rename an aggregate and/or change its availability zone."""
    aggregate_id = _id(req)
    spec = req.body["aggregate"]
    name = spec["name"].strip() if "name" in spec else None
    with req.state.db.write() as session:
        agg = service.update(
            session,
            aggregate_id,
            name,
            spec.get("availability_zone"),
            "availability_zone" in spec,
        )
    return {"aggregate": render(req, agg)}


@router.route(
    "DELETE", "/v2.1/os-aggregates/{aggregate_id}", policy="os_compute_api:os-aggregates:delete"
)
def delete_aggregate(req: ApiRequest) -> None:
    """Delete an aggregate without hosts."""
    aggregate_id = _id(req)
    with req.state.db.write() as session:
        service.delete(session, aggregate_id)


@router.route("POST", "/v2.1/os-aggregates/{aggregate_id}/action", body=ACTION)
def aggregate_action(req: ApiRequest) -> Any:
    """``add_host``, ``remove_host`` or ``set_metadata``."""
    aggregate_id = _id(req)
    action, args = next(iter(req.body.items()))
    req.authorize(f"os_compute_api:os-aggregates:{action}")
    with req.state.db.write() as session:
        if action == "add_host":
            agg = service.add_host(session, aggregate_id, args["host"])
        elif action == "remove_host":
            agg = service.remove_host(session, aggregate_id, args["host"])
        else:
            agg = service.set_metadata(session, aggregate_id, args["metadata"])
    return {"aggregate": render(req, agg)}
