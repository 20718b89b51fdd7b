"""``GET /servers`` query parameters -> a ``ListQuery`` (Nova's ``_get_servers``).

Everyone may filter by name (regex), status, image, flavor, ip/ip6 (regex), reservation id,
changes-since/-before, tags (2.26) and locked (2.73); admins (``allow_all_filters``) also by
host, node, uuid, user, vm/task/power state, availability zone, key name and deleted, and with
``all_tenants`` across projects. Unknown parameters are ignored, as Nova does.
"""

from __future__ import annotations

import datetime as dt

from stratus.api.common.routing import ApiRequest
from stratus.api.compute import microversion
from stratus.common import clock, exceptions, regex_filter
from stratus.db.repositories.compute.instances import SORT_KEYS, ListQuery
from stratus.objects import states
from stratus.services.compute import server_status

S = "os_compute_api:servers"
ADMIN_SORT_KEYS = ("host", "node")
_FALSE = ("0", "false", "f", "no", "n", "off")


def _time(req: ApiRequest, name: str) -> dt.datetime | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        return clock.parse_isotime(raw)
    except ValueError:
        raise exceptions.Invalid(f"Invalid filter field: {name}.") from None


def _regex(req: ApiRequest, name: str) -> str | None:
    """A regular-expression filter; 400 when Python's ``re`` refuses it (as Nova's query schema
    does) or it cannot be matched in linear time (see ``common.regex_filter``)."""
    pattern = req.query.get(name)
    if pattern is None:
        return None
    try:
        regex_filter.compile_filter(pattern)
    except ValueError as exc:
        shown = pattern if len(pattern) <= 80 else pattern[:80] + "..."
        raise exceptions.Invalid(
            f"Invalid input for query parameters {name}. Value: {shown}. {exc}"
        ) from None
    return pattern


def _csv(req: ApiRequest, name: str) -> list[str]:
    values: list[str] = []
    for raw in req.query.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return values


def _all_tenants(req: ApiRequest, detail: bool) -> bool:
    if "all_tenants" not in req.query:
        return False
    raw = (req.query.get("all_tenants") or "").strip().lower()
    if raw in _FALSE:
        return False
    rule = f"{S}:detail:get_all_tenants" if detail else f"{S}:index:get_all_tenants"
    req.authorize(rule, {"project_id": req.ctx.project_id})
    return True


def _status(req: ApiRequest, q: ListQuery, admin: bool) -> bool:
    """Apply ``status``; False when the filter can match nothing (empty answer < 2.38)."""
    statuses = req.query.getlist("status")
    if not statuses:
        return True
    vm_states, task_states = server_status.states_for(statuses)
    if not vm_states:
        if microversion.of(req) >= (2, 38):
            raise exceptions.Invalid("Invalid status value")
        return False
    q.vm_states = vm_states
    q.task_states = task_states
    if vm_states == [states.DELETED]:
        if not admin:
            raise exceptions.Forbidden("Only administrators may list deleted instances")
        q.deleted = True
    elif states.DELETED in vm_states:
        q.deleted = None
    return True


def _sort(req: ApiRequest, admin: bool) -> list[tuple[str, str]]:
    keys = req.query.getlist("sort_key")
    dirs = req.query.getlist("sort_dir")
    if not keys:
        keys = ["created_at"]
    sort = []
    for i, key in enumerate(keys):
        if key not in SORT_KEYS:
            raise exceptions.Invalid(f"Invalid sort_key: {key}")
        if key in ADMIN_SORT_KEYS and not admin:
            raise exceptions.Forbidden(f"Only administrators can sort servers by {key}")
        direction = (dirs[i] if i < len(dirs) else (dirs[-1] if dirs else "desc")).lower()
        if direction not in ("asc", "desc"):
            raise exceptions.Invalid(f"Invalid sort_dir: {direction}")
        sort.append((key, direction))
    return sort


def _admin_filters(req: ApiRequest, q: ListQuery) -> None:
    query = req.query
    q.host = query.get("host")
    q.node = query.get("node")
    q.availability_zone = query.get("availability_zone")
    q.key_name = query.get("key_name")
    q.user_id = query.get("user_id")
    if query.get("uuid"):
        q.uuids = [query["uuid"]]
    if query.get("vm_state"):
        q.vm_states = query.getlist("vm_state")
    if query.get("task_state"):
        q.task_states = query.getlist("task_state")
    if query.get("power_state"):
        try:
            q.power_state = int(query["power_state"])
        except ValueError:
            raise exceptions.Invalid("Invalid filter field: power_state.") from None
    deleted = query.get("deleted")
    if deleted is not None:
        q.deleted = deleted.strip().lower() not in _FALSE


def list_query(req: ApiRequest, detail: bool) -> ListQuery | None:
    """The query for this request, or None when it can only match nothing."""
    version = microversion.of(req)
    target = {"project_id": req.ctx.project_id}
    admin = req.allowed(f"{S}:allow_all_filters", target)
    q = ListQuery(project_id=req.ctx.project_id)
    if _all_tenants(req, detail):
        # NOTE: as Nova, project_id/tenant_id only mean something together with all_tenants.
        q.project_id = req.query.get("project_id") or req.query.get("tenant_id")
    q.sort = _sort(req, admin)
    q.name_regex = _regex(req, "name")
    q.ip_regex = _regex(req, "ip")
    q.ip6_regex = _regex(req, "ip6")
    q.reservation_id = req.query.get("reservation_id")
    if req.query.get("image"):
        q.image_ref = req.query["image"].rstrip("/").rsplit("/", 1)[-1]
    if req.query.get("flavor"):
        q.flavor_id = req.query["flavor"].rstrip("/").rsplit("/", 1)[-1]
    _changes(req, q, version)
    if version >= (2, 26):
        q.tags, q.tags_any = _csv(req, "tags"), _csv(req, "tags-any")
        q.not_tags, q.not_tags_any = _csv(req, "not-tags"), _csv(req, "not-tags-any")
    if version >= (2, 73) and req.query.get("locked") is not None:
        q.locked = req.query_bool("locked")
    if admin:
        _admin_filters(req, q)
    if not _status(req, q, admin):
        return None
    return q


def _changes(req: ApiRequest, q: ListQuery, version: microversion.APIVersion) -> None:
    q.changes_since = _time(req, "changes-since")
    if version >= (2, 66):
        q.changes_before = _time(req, "changes-before")
    if q.changes_since and q.changes_before and q.changes_since > q.changes_before:
        raise exceptions.Invalid(
            "The value of changes-since must be less than or equal to changes-before."
        )
    if q.changes_since is not None or q.changes_before is not None:
        q.deleted = None
