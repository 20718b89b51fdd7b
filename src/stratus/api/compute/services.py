"""``/os-services`` (admin): list, enable/disable/force down, delete.

Before 2.53 ids are integers and updates go to ``PUT /os-services/{enable,disable,
disable-log-reason,force-down}`` with ``host`` and ``binary`` in the body; from 2.53 ids are
UUIDs and ``PUT /os-services/{id}`` takes ``status``, ``disabled_reason`` and ``forced_down``.
``forced_down`` is shown from 2.11.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import exceptions, ids
from stratus.services.compute import hosts as service
from stratus.services.compute.hosts import ServiceView

router = Router("compute")

_REASON = {"type": "string", "minLength": 1, "maxLength": 255}
_LEGACY_FIELDS: dict[str, Any] = {"host": pt.HOST, "binary": pt.HOST, "disabled_reason": _REASON}
LEGACY_UPDATE = schemas.obj(_LEGACY_FIELDS, required=("host", "binary"))
LEGACY_UPDATE_V211 = schemas.obj(
    {**_LEGACY_FIELDS, "forced_down": pt.BOOLEAN}, required=("host", "binary")
)
UPDATE_V253 = {
    **schemas.obj(
        {
            "status": {"type": "string", "enum": ["enabled", "disabled"]},
            "disabled_reason": _REASON,
            "forced_down": pt.BOOLEAN,
        }
    ),
    "dependencies": {"disabled_reason": ["status"]},
}


def _uuid_ids(req: ApiRequest) -> bool:
    return microversion.of(req) >= (2, 53)


def render(req: ApiRequest, svc: ServiceView) -> dict[str, Any]:
    row = svc.row
    body: dict[str, Any] = {
        "id": row.uuid if _uuid_ids(req) else row.id,
        "binary": row.binary,
        "host": row.host,
        "zone": svc.zone,
        "status": svc.status,
        "state": svc.state,
        "updated_at": svc.updated_at,
        "disabled_reason": row.disabled_reason,
    }
    if microversion.of(req) >= (2, 11):
        body["forced_down"] = row.forced_down
    return body


@router.route("GET", "/v2.1/os-services", policy="os_compute_api:os-services:list")
def list_services(req: ApiRequest) -> Any:
    """List services (filters: ``host``, ``binary``)."""
    with pt.reading(req) as session:
        found = service.list_services(
            session, req.state.config, req.query.get("binary"), req.query.get("host")
        )
    return {"services": [render(req, s) for s in found]}


def _legacy(req: ApiRequest, action: str) -> Any:
    schemas.validate(
        LEGACY_UPDATE_V211 if microversion.of(req) >= (2, 11) else LEGACY_UPDATE, req.body
    )
    body = req.body
    host, binary = body["host"], body["binary"]
    result: dict[str, Any] = {"host": host, "binary": binary}
    with req.state.db.write() as session:
        row = service.by_host_binary(session, host, binary)
        if action == "enable":
            service.update(session, row, "enabled", None, None)
            result["status"] = "enabled"
        elif action in ("disable", "disable-log-reason"):
            reason = body.get("disabled_reason") if action == "disable-log-reason" else None
            if action == "disable-log-reason" and reason is None:
                raise exceptions.Invalid("Missing disabled reason field")
            service.update(session, row, "disabled", reason, None)
            result["status"] = "disabled"
            if reason:
                result["disabled_reason"] = reason
        else:
            if "forced_down" not in body:
                raise exceptions.Invalid("Missing forced_down field")
            forced = pt.to_bool(body["forced_down"])
            service.update(session, row, None, None, forced)
            result["forced_down"] = forced
    return {"service": result}


_LEGACY_ACTIONS = ("enable", "disable", "disable-log-reason")


@router.route("PUT", "/v2.1/os-services/{service_id}", policy="os_compute_api:os-services:update")
def update_service(req: ApiRequest) -> Any:
    """Enable, disable (with a reason) or force down a compute service."""
    target = req.path["service_id"]
    if not _uuid_ids(req):
        actions = _LEGACY_ACTIONS + (("force-down",) if microversion.of(req) >= (2, 11) else ())
        if target not in actions:
            raise exceptions.NotFound("Unknown action")
        return _legacy(req, target)
    if not ids.is_uuid_like(target):
        raise exceptions.Invalid(f"Invalid uuid {target}")
    schemas.validate(UPDATE_V253, req.body)
    body = req.body
    forced = pt.to_bool(body["forced_down"]) if "forced_down" in body else None
    with req.state.db.write() as session:
        row = service.find(session, target, uuid_ids=True)
        service.update(session, row, body.get("status"), body.get("disabled_reason"), forced)
        shown = service.view(session, req.state.config, [row])[0]
        return {"service": render(req, shown)}


@router.route(
    "DELETE",
    "/v2.1/os-services/{service_id}",
    policy="os_compute_api:os-services:delete",
    status=204,
)
def delete_service(req: ApiRequest) -> None:
    """Delete a service record (a compute one must host no servers)."""
    target = req.path["service_id"]
    uuid_ids = _uuid_ids(req)
    if uuid_ids and not ids.is_uuid_like(target):
        raise exceptions.Invalid(f"Invalid uuid {target}")
    if not uuid_ids and not target.lstrip("-").isdigit():
        raise exceptions.Invalid(f"Invalid ID {target}: an integer is expected before 2.53.")
    with req.state.db.write() as session:
        service.delete(session, service.find(session, target, uuid_ids))
