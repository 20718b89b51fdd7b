"""``/servers/{id}/os-instance-actions``: what was done to a server, by whom, with events.

Deleted servers' actions are readable from 2.21. Events are shown to admins, and to everyone
from 2.51 (without tracebacks); 2.58 adds
``updated_at`` and ``limit``/``marker``/``changes-since`` paging; 2.62 adds each event's
``hostId`` (and ``host`` for admins).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from stratus.api.common import pagination
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion
from stratus.api.compute.server_common import server_api
from stratus.common import clock, exceptions
from stratus.db.models.compute import InstanceAction, InstanceActionEvent
from stratus.services.compute import server_data as data
from stratus.services.compute.servers import host_id

router = Router("compute")

P = "os_compute_api:os-instance-actions"


def _time(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def _action(row: InstanceAction, version: microversion.APIVersion) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "action": row.action,
        "instance_uuid": row.instance_uuid,
        "message": row.message,
        "project_id": row.project_id or "",
        "request_id": row.request_id,
        "start_time": _time(row.start_time),
        "user_id": row.user_id or "",
    }
    if version >= (2, 58):
        shown["updated_at"] = _time(row.updated_at or row.start_time)
    return shown


def _event(
    row: InstanceActionEvent, project_id: str, version: microversion.APIVersion, admin: bool
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "event": row.event,
        "start_time": _time(row.start_time),
        "finish_time": _time(row.finish_time),
        "result": row.result,
    }
    if admin:
        shown["traceback"] = row.traceback
    if version >= (2, 62):
        shown["hostId"] = host_id(project_id, row.host)
        if admin:
            shown["host"] = row.host or ""
    return shown


def _target(req: ApiRequest) -> dict[str, Any]:
    # NOTE: the service already answered 404 unless the server is the caller's (or the caller
    # is an admin), so the caller's own project is the right policy target.
    return {"project_id": req.ctx.project_id}


@router.route("GET", "/v2.1/servers/{server_id}/os-instance-actions")
def list_instance_actions(req: ApiRequest) -> dict[str, Any]:
    """List the actions performed on a server, newest first."""
    server_id = req.path["server_id"]
    version = microversion.of(req)
    api = server_api(req)
    limit, marker, since, before = None, None, None, None
    if version >= (2, 58):
        limit = pagination.limit(req.query, default=1000, maximum=1000)
        marker = pagination.marker(req.query)
        since, before = _times(req, version)
    deleted = version >= (2, 21)
    rows = data.list_actions(api, server_id, limit, marker, since, before, deleted)
    req.authorize(f"{P}:list", _target(req))
    result: dict[str, Any] = {"instanceActions": [_action(r, version) for r in rows]}
    if version >= (2, 58) and limit is not None and rows and len(rows) == limit:
        params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
        params.append(("marker", rows[-1].request_id))
        href = f"{req.base_url}/v2.1/servers/{server_id}/os-instance-actions?{urlencode(params)}"
        result["links"] = [{"rel": "next", "href": href}]
    return result


def _times(
    req: ApiRequest, version: microversion.APIVersion
) -> tuple[dt.datetime | None, dt.datetime | None]:
    found: list[dt.datetime | None] = []
    for name in ("changes-since", "changes-before"):
        raw = req.query.get(name)
        if raw is None or (name == "changes-before" and version < (2, 66)):
            found.append(None)
            continue
        try:
            found.append(clock.parse_isotime(raw))
        except ValueError:
            raise exceptions.Invalid(f"Invalid filter field: {name}.") from None
    return found[0], found[1]


@router.route("GET", "/v2.1/servers/{server_id}/os-instance-actions/{request_id}")
def show_instance_action(req: ApiRequest) -> dict[str, Any]:
    """Show one action (by request id) with its events."""
    server_id, request_id = req.path["server_id"], req.path["request_id"]
    version = microversion.of(req)
    record = data.get_action(server_api(req), server_id, request_id, version >= (2, 21))
    target = _target(req)
    req.authorize(f"{P}:show", target)
    shown = _action(record.action, version)
    if version >= (2, 51) or req.allowed(f"{P}:events", target):
        admin = req.allowed(f"{P}:events:details", target)
        project = record.action.project_id or ""
        shown["events"] = [_event(e, project, version, admin) for e in record.events]
    return {"instanceAction": shown}
