"""``/os-server-groups``: create, list (``all_projects`` for admins, ``limit``/``offset``),
show, delete.

Shapes per microversion: ``policies`` (a one-item list) and ``metadata`` before 2.64,
``policy`` and ``rules`` from 2.64; ``project_id``/``user_id`` from 2.13; the soft policies are
accepted from 2.15. Another project's group is a 404.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.db.repositories.compute import server_groups as repo
from stratus.services.compute import server_groups as service
from stratus.services.compute.server_groups import GroupView

router = Router("compute")


def _policies_schema(allowed: tuple[str, ...]) -> dict[str, Any]:
    return schemas.wrapped(
        "server_group",
        schemas.obj(
            {
                "name": pt.NAME,
                "policies": {
                    "type": "array",
                    "items": [{"type": "string", "enum": list(allowed)}],
                    "uniqueItems": True,
                    "minItems": 1,
                    "additionalItems": False,
                },
            },
            required=("name", "policies"),
        ),
    )


CREATE = _policies_schema(service.HARD_POLICIES)
CREATE_V215 = _policies_schema(service.POLICIES)
CREATE_V264 = schemas.wrapped(
    "server_group",
    schemas.obj(
        {
            "name": pt.NAME,
            "policy": {"type": "string", "enum": list(service.POLICIES)},
            "rules": schemas.obj({"max_server_per_host": pt.POSITIVE_INT}),
        },
        required=("name", "policy"),
    ),
)


def render(req: ApiRequest, group: GroupView) -> dict[str, Any]:
    row = group.row
    version = microversion.of(req)
    body: dict[str, Any] = {"id": row.uuid, "name": row.name, "members": group.members}
    if version >= (2, 64):
        body["policy"] = row.policy
        body["rules"] = dict(row.rules or {})
    else:
        body["policies"] = [row.policy]
        body["metadata"] = {}
    if version >= (2, 13):
        body["project_id"] = row.project_id
        body["user_id"] = row.user_id
    return body


def _scope(req: ApiRequest) -> str | None:
    """None for admins (every project's groups), else the caller's project."""
    return None if req.ctx.is_admin else req.ctx.project_id


def _own(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.ctx.project_id, "user_id": req.ctx.user_id}


@router.route("POST", "/v2.1/os-server-groups")
def create_server_group(req: ApiRequest) -> Any:
    """Create a server group."""
    req.authorize("os_compute_api:os-server-groups:create", _own(req))
    version = microversion.of(req)
    if version >= (2, 64):
        schemas.validate(CREATE_V264, req.body)
    else:
        schemas.validate(CREATE_V215 if version >= (2, 15) else CREATE, req.body)
    spec = req.body["server_group"]
    policy = spec["policy"] if version >= (2, 64) else spec["policies"][0]
    rules = {
        k: pt.to_int(v, f"server_group/rules/{k}", 1) for k, v in (spec.get("rules") or {}).items()
    }
    with req.state.db.write() as session:
        group = service.create(
            session,
            req.state.config,
            req.ctx.project_id or "",
            req.ctx.user_id or "",
            spec["name"],
            policy,
            rules,
        )
    return {"server_group": render(req, group)}


@router.route("GET", "/v2.1/os-server-groups")
def list_server_groups(req: ApiRequest) -> Any:
    """List the project's server groups (``all_projects=true``: everyone's, admin only)."""
    req.authorize("os_compute_api:os-server-groups:index", _own(req))
    project_id: str | None = req.ctx.project_id
    if pt.query_bool(req, "all_projects") and req.allowed(
        "os_compute_api:os-server-groups:index:all_projects", _own(req)
    ):
        project_id = None
    offset = pt.query_int(req, "offset") or 0
    with pt.reading(req) as session:
        rows = repo.list_(session, project_id, pt.limit(req), offset)
        groups = service.views(session, rows)
    return {"server_groups": [render(req, g) for g in groups]}


@router.route("GET", "/v2.1/os-server-groups/{group_id}")
def show_server_group(req: ApiRequest) -> Any:
    """Show a server group and its members."""
    with pt.reading(req) as session:
        group = service.get(session, req.path["group_id"], _scope(req))
    req.authorize("os_compute_api:os-server-groups:show", {"project_id": group.row.project_id})
    return {"server_group": render(req, group)}


@router.route("DELETE", "/v2.1/os-server-groups/{group_id}", status=204)
def delete_server_group(req: ApiRequest) -> None:
    """Delete a server group (its servers stay)."""
    with req.state.db.write() as session:
        group = service.get(session, req.path["group_id"], _scope(req))
        req.authorize(
            "os_compute_api:os-server-groups:delete", {"project_id": group.row.project_id}
        )
        service.delete(session, req.path["group_id"], _scope(req))
