"""Neutron's query-string conventions, shared by every list and show of the networking API.

* any attribute of the resource is an equality filter; repeating it means OR
  (``?name=a&name=b``); booleans take true/false, numbers must be integers; attributes the
  resource does not have are 400 (Neutron's ``filter-validation``);
* ``fields=a&fields=b`` returns only those attributes;
* ``sort_key``/``sort_dir`` (repeatable, paired), ``limit``/``marker``/``page_reverse`` with
  ``<collection>_links`` (``next``/``previous``); as in Neutron, ``[network]
  pagination_max_limit`` caps every page, so a list without ``limit`` (or with ``limit=0``) gets
  at most that many items and a ``next`` link when more follow;
* ``tags``, ``tags-any``, ``not-tags``, ``not-tags-any`` (comma-separated), ``changed_since``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from stratus.api.common import pagination, schemas
from stratus.api.common.routing import ApiRequest
from stratus.api.network.state import network_state
from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.db.repositories.network.listing import ListQuery
from stratus.db.session import Database
from stratus.services.network.common import Caller

Kind = Literal["str", "bool", "int"]
CONTROL = frozenset(
    {
        "fields",
        "sort_key",
        "sort_dir",
        "limit",
        "marker",
        "page_reverse",
        "tags",
        "tags-any",
        "not-tags",
        "not-tags-any",
        "changed_since",
    }
)
UNLIMITED_PAGE = sys.maxsize


@dataclasses.dataclass(frozen=True)
class Resource:
    """How one collection is filtered: attribute -> kind; ``shown`` = every attribute shown."""

    singular: str
    collection: str
    filters: Mapping[str, Kind]
    shown: frozenset[str]


def caller(req: ApiRequest) -> Caller:
    return Caller(project_id=req.ctx.project_id, is_admin=req.ctx.is_admin, policy=req)


def db(req: ApiRequest) -> Database:
    return network_state(req).db


def config(req: ApiRequest) -> Config:
    return network_state(req).config


def _convert(name: str, kind: Kind, raw: str) -> Any:
    if kind == "bool":
        low = raw.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        raise exceptions.Invalid(f"Invalid input for {name}. Reason: '{raw}' is not boolean.")
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise exceptions.Invalid(
                f"Invalid input for {name}. Reason: '{raw}' is not an integer."
            ) from None
    return raw


def _sort(req: ApiRequest, resource: Resource) -> list[tuple[str, str]]:
    keys = req.query.getlist("sort_key")
    dirs = req.query.getlist("sort_dir")
    if len(keys) != len(dirs) and dirs:
        raise exceptions.Invalid("The number of sort_keys and sort_dirs must be same")
    dirs = dirs or ["asc"] * len(keys)
    for key, direction in zip(keys, dirs, strict=True):
        if key not in resource.filters:
            raise exceptions.Invalid(f"{key} is invalid attribute for sort_key")
        if direction not in ("asc", "desc"):
            raise exceptions.Invalid(
                f"{direction} is invalid value for sort_dir, valid values are 'asc' and 'desc'"
            )
    return list(zip(keys, dirs, strict=True))


def _tags(req: ApiRequest, name: str) -> list[str]:
    return [t for raw in req.query.getlist(name) for t in raw.split(",") if t]


def list_query(req: ApiRequest, resource: Resource, extra: Sequence[str] = ()) -> ListQuery:
    """The typed list request of ``req`` for ``resource``; 400 on anything malformed."""
    equals: dict[str, list[Any]] = {}
    for key in dict.fromkeys(req.query.keys()):
        if key in CONTROL:
            continue
        kind = resource.filters.get(key)
        if kind is None and key not in extra:
            if key in resource.shown:
                continue
            raise exceptions.Invalid(f"[{key}] is invalid attribute for filtering")
        equals[key] = [_convert(key, kind or "str", v) for v in req.query.getlist(key)]
    since = req.query.get("changed_since")
    return ListQuery(
        equals=equals,
        tags=_tags(req, "tags"),
        tags_any=_tags(req, "tags-any"),
        not_tags=_tags(req, "not-tags"),
        not_tags_any=_tags(req, "not-tags-any"),
        sort=_sort(req, resource),
        limit=page_size(req),
        marker=pagination.marker(req.query),
        page_reverse=bool(req.query_bool("page_reverse", False)),
        changed_since=_time("changed_since", since) if since else None,
    )


def page_size(req: ApiRequest) -> int | None:
    """Items per page: ``limit`` capped at ``pagination_max_limit``, which also stands in for a
    missing or zero ``limit`` (Neutron's ``get_limit_and_marker``); None: no paging at all."""
    maximum = config(req).network.pagination_max_limit
    if maximum <= 0:
        return pagination.limit(req.query, maximum=UNLIMITED_PAGE) or None
    return pagination.limit(req.query, maximum=maximum) or maximum


def _time(name: str, raw: str) -> Any:
    try:
        return clock.parse_isotime(raw)
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid input for {name}. Reason: '{raw}' is not a time."
        ) from None


def fields(req: ApiRequest) -> list[str]:
    return [f for raw in req.query.getlist("fields") for f in raw.split(",") if f]


def select(item: dict[str, Any], wanted: Sequence[str]) -> dict[str, Any]:
    """Only the ``fields`` asked for (all when none were)."""
    if not wanted:
        return item
    return {k: v for k, v in item.items() if k in wanted}


def collection(
    req: ApiRequest, resource: Resource, items: list[dict[str, Any]], more: bool, ids: list[str]
) -> dict[str, Any]:
    """``{"<collection>": [...], "<collection>_links": [...]}`` with Neutron's paging links."""
    wanted = fields(req)
    body: dict[str, Any] = {resource.collection: [select(i, wanted) for i in items]}
    q = req.query
    if page_size(req) is None:
        return body
    keep = [(k, v) for k, v in q.multi_items() if k not in ("marker", "page_reverse")]
    # NOTE: the path asked for: collections with two words have a hyphen there, an underscore
    # in the body ("security-groups" lists "security_groups")
    base = f"{req.raw.url.replace(query='')}?"
    reverse = bool(req.query_bool("page_reverse", False))
    marked = q.get("marker") is not None
    links = []
    if ids and (marked if reverse else more):
        links.append({"rel": "next", "href": base + urlencode([*keep, ("marker", ids[-1])])})
    if ids and (more if reverse else marked):
        prev = [*keep, ("marker", ids[0]), ("page_reverse", "True")]
        links.append({"rel": "previous", "href": base + urlencode(prev)})
    if links:
        body[f"{resource.collection}_links"] = links
    return body


def bulk_items(req: ApiRequest, resource: Resource, item_schema: Mapping[str, Any]) -> list[Any]:
    """The items of ``{"<singular>": {...}}`` or ``{"<collection>": [...]}`` (bulk), validated."""
    body = req.body
    if not isinstance(body, dict) or len(body) != 1:
        raise exceptions.Invalid(f"Resource body required: {{'{resource.singular}': {{...}}}}")
    if resource.collection in body:
        items = body[resource.collection]
        if not isinstance(items, list) or not items:
            raise exceptions.Invalid(f"Bulk operation requires a list of {resource.singular}")
    elif resource.singular in body:
        items = [body[resource.singular]]
    else:
        raise exceptions.Invalid(f"Unable to find '{resource.singular}' in request body")
    for item in items:
        schemas.validate(schemas.wrapped(resource.singular, item_schema), {resource.singular: item})
    return list(items)


def body_of(req: ApiRequest, singular: str) -> dict[str, Any]:
    document = req.body
    assert isinstance(document, dict)
    item = document[singular]
    assert isinstance(item, dict)
    return item


def project_of(item: Mapping[str, Any]) -> str | None:
    """``project_id`` or ``tenant_id`` of a request body (400 if they differ)."""
    project, tenant = item.get("project_id"), item.get("tenant_id")
    if project is not None and tenant is not None and project != tenant:
        raise exceptions.Invalid("'project_id' and 'tenant_id' do not match")
    value = project if project is not None else tenant
    return str(value) if value is not None else None


def stamp(row: Any, tags: bool = True) -> dict[str, Any]:
    """The standard attributes every resource shows (rules have no tags)."""
    body = {
        "tenant_id": row.project_id,
        "project_id": row.project_id,
        "description": row.description,
        "created_at": clock.isotime(row.created_at),
        "updated_at": clock.isotime(row.updated_at or row.created_at),
        "revision_number": row.revision_number,
    }
    if tags:
        body["tags"] = list(row.tags)
    return body
