"""``/os-quota-sets/{project_id}`` (show, ``/detail``, ``/defaults``, update, delete) and
``/os-quota-class-sets/{class}`` (show, update).

Fields per microversion: the network-ish ``floating_ips``, ``fixed_ips``, ``security_groups``
and ``security_group_rules`` go away at 2.36 (quota classes: at 2.50, which is also when classes
start showing ``server_groups``/``server_group_members``); the ``injected_file*`` fields at 2.57.
Updating a field the request's version does not have is a 400.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import exceptions
from stratus.services.compute import quotas as service

router = Router("compute")


def quota_fields(req: ApiRequest) -> list[str]:
    version = microversion.of(req)
    dropped: set[str] = set()
    if version >= (2, 36):
        dropped.update(service.NETWORK_FIELDS)
    if version >= (2, 57):
        dropped.update(service.FILE_FIELDS)
    return [f for f in service.ALL_FIELDS if f not in dropped]


def class_fields(req: ApiRequest) -> list[str]:
    version = microversion.of(req)
    if version >= (2, 50):
        dropped = set(service.NETWORK_FIELDS)
    else:
        dropped = set(service.SERVER_GROUP_FIELDS)
    if version >= (2, 57):
        dropped.update(service.FILE_FIELDS)
    return [f for f in service.ALL_FIELDS if f not in dropped]


def _update_schema(fields: list[str], with_force: bool) -> dict[str, Any]:
    props: dict[str, Any] = {f: pt.QUOTA_LIMIT for f in fields}
    if with_force:
        props["force"] = pt.BOOLEAN
    return schemas.obj({"quota_set": schemas.obj(props)}, required=("quota_set",))


def _values(body: dict[str, Any]) -> dict[str, int]:
    return {k: pt.to_int(v, f"quota_set/{k}", -1) for k, v in body.items() if k != "force"}


def _view(fields: list[str], limits: dict[str, int]) -> dict[str, Any]:
    return {f: limits[f] for f in fields}


def _target(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.path["project_id"]}


def _user(req: ApiRequest) -> str | None:
    """``user_id``: the request is about that user's limits within the project."""
    return req.query.get("user_id") or None


@router.route("GET", "/v2.1/os-quota-sets/{project_id}/defaults")
def show_defaults(req: ApiRequest) -> Any:
    """Default quotas (what a project without its own limits gets)."""
    req.authorize("os_compute_api:os-quota-sets:defaults", _target(req))
    with pt.reading(req) as session:
        limits = service.defaults(session, req.state.config)
    return {"quota_set": {"id": req.path["project_id"], **_view(quota_fields(req), limits)}}


@router.route("GET", "/v2.1/os-quota-sets/{project_id}/detail")
def show_detail(req: ApiRequest) -> Any:
    """A project's quotas with ``in_use``, ``limit`` and ``reserved`` (always 0)."""
    req.authorize("os_compute_api:os-quota-sets:detail", _target(req))
    project_id = req.path["project_id"]
    user_id = _user(req)
    with pt.reading(req) as session:
        if user_id:
            limits = service.user_limits(session, req.state.config, project_id, user_id)
            used = service.in_use(session, project_id, user_id, only_user=True)
        else:
            limits = service.project_limits(session, req.state.config, project_id)
            used = service.in_use(session, project_id)
    body: dict[str, Any] = {"id": project_id}
    for field in quota_fields(req):
        body[field] = {"in_use": used[field], "limit": limits[field], "reserved": 0}
    return {"quota_set": body}


@router.route("GET", "/v2.1/os-quota-sets/{project_id}")
def show_quota_set(req: ApiRequest) -> Any:
    """A project's quotas (``user_id``: as they apply to that user)."""
    req.authorize("os_compute_api:os-quota-sets:show", _target(req))
    project_id = req.path["project_id"]
    user_id = _user(req)
    with pt.reading(req) as session:
        if user_id:
            limits = service.user_limits(session, req.state.config, project_id, user_id)
        else:
            limits = service.project_limits(session, req.state.config, project_id)
    return {"quota_set": {"id": project_id, **_view(quota_fields(req), limits)}}


@router.route(
    "PUT", "/v2.1/os-quota-sets/{project_id}", policy="os_compute_api:os-quota-sets:update"
)
def update_quota_set(req: ApiRequest) -> Any:
    """Set a project's (or, with ``user_id``, a user's) quotas (admin); ``force`` allows
    limits below current usage."""
    fields = quota_fields(req)
    schemas.validate(_update_schema(fields, with_force=True), req.body)
    body = req.body["quota_set"]
    force = pt.to_bool(body.get("force", False))
    project_id, user_id = req.path["project_id"], _user(req)
    with req.state.db.write() as session:
        if user_id:
            limits = service.update_user(
                session, req.state.config, project_id, user_id, _values(body), force
            )
        else:
            limits = service.update_project(
                session, req.state.config, project_id, _values(body), force
            )
    return {"quota_set": _view(fields, limits)}


@router.route(
    "DELETE",
    "/v2.1/os-quota-sets/{project_id}",
    policy="os_compute_api:os-quota-sets:delete",
    status=202,
)
def delete_quota_set(req: ApiRequest) -> Reply:
    """Drop a project's own limits so the defaults apply again (``user_id``: drop that
    user's limits so the project's apply) (admin)."""
    user_id = _user(req)
    with req.state.db.write() as session:
        if user_id:
            service.reset_user(session, req.path["project_id"], user_id)
        else:
            service.reset_project(session, req.path["project_id"])
    return Reply(None, 202)


@router.route(
    "GET",
    "/v2.1/os-quota-class-sets/{class_name}",
    policy="os_compute_api:os-quota-class-sets:show",
)
def show_quota_class(req: ApiRequest) -> Any:
    """A quota class (``default`` is what every project starts with) (admin)."""
    name = req.path["class_name"]
    with pt.reading(req) as session:
        limits = service.class_limits(session, req.state.config, name)
    return {"quota_class_set": {"id": name, **_view(class_fields(req), limits)}}


@router.route(
    "PUT",
    "/v2.1/os-quota-class-sets/{class_name}",
    policy="os_compute_api:os-quota-class-sets:update",
)
def update_quota_class(req: ApiRequest) -> Any:
    """Set a quota class's limits; the ``default`` class overrides ``[quota]`` (admin)."""
    fields = class_fields(req)
    schema = _update_schema(fields, with_force=False)
    schema["properties"]["quota_class_set"] = schema["properties"].pop("quota_set")
    schema["required"] = ["quota_class_set"]
    schemas.validate(schema, req.body)
    name = req.path["class_name"]
    if len(name) > 255:
        raise exceptions.Invalid("Quota class name is too long (maximum 255 characters).")
    with req.state.db.write() as session:
        limits = service.update_class(
            session, req.state.config, name, _values(req.body["quota_class_set"])
        )
    return {"quota_class_set": _view(fields, limits)}
