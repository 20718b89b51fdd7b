"""``GET /v2/images`` query strings parsed into ``ImageFilters`` and ``PageRequest`` (Glance rules).

* ``limit`` (default 25, at most 1000) and ``marker``;
* sorting: ``sort_key``/``sort_dir`` repeated (one dir for all keys, or one per key) or
  ``sort=key:dir,key`` — never both; default ``created_at`` descending;
* ``id``, ``name``, ``status``, ``container_format``, ``disk_format`` take a value or ``in:a,b``;
* ``created_at``/``updated_at`` take ``[gt|gte|lt|lte|eq|neq:]<ISO 8601 time>``;
* ``visibility``, ``member_status``, ``tag`` (repeatable), ``protected``, ``os_hidden``,
  ``size_min``/``size_max`` and equality on ``owner``, ``size``, ``min_ram`` ...;
* any other parameter is an equality filter on a custom property.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from stratus.api.common import pagination
from stratus.common import clock, exceptions
from stratus.services.image.images import EQUALITY_COLUMNS, SORT_KEYS, ImageFilters, PageRequest

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
VISIBILITY_FILTERS = ("community", "public", "private", "shared", "all")
MEMBER_STATUS_FILTERS = ("pending", "accepted", "rejected", "all")
_LIST_FILTERS = {
    "id": "ids",
    "name": "names",
    "status": "statuses",
    "container_format": "container_formats",
    "disk_format": "disk_formats",
}
_INTEGER_COLUMNS = ("size", "virtual_size", "min_ram", "min_disk")
_TIME_OPS = ("gt", "gte", "lt", "lte", "eq", "neq")
_NOT_FILTERS = frozenset(
    {"limit", "marker", "sort", "sort_key", "sort_dir", "tag", "member_status"}
)


def _bool(name: str, raw: str) -> bool:
    low = raw.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise exceptions.Invalid(f"Invalid value {raw!r} for filter {name}: expected true or false.")


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid value {raw!r} for filter {name}: expected an integer."
        ) from None


def _time_filter(name: str, raw: str) -> tuple[str, object]:
    op, sep, rest = raw.partition(":")
    if not sep or op not in _TIME_OPS:
        op, rest = "eq", raw
    try:
        return op, clock.parse_isotime(rest)
    except ValueError:
        raise exceptions.Invalid(
            f"Invalid value {raw!r} for filter {name}: expected an ISO 8601 time."
        ) from None


def _sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise exceptions.Invalid(
            f"Invalid sort key: {key}. It must be one of the following: {', '.join(SORT_KEYS)}."
        )
    return key


def _sort_dir(direction: str) -> str:
    if direction not in ("asc", "desc"):
        raise exceptions.Invalid(f"Invalid sort direction: {direction}")
    return direction


def sorting(query: QueryParams) -> list[tuple[str, str]]:
    """The (key, direction) pairs asked for, defaulting to newest first."""
    if "sort" in query:
        if "sort_key" in query or "sort_dir" in query:
            raise exceptions.Invalid("Old and new sorting syntax cannot be combined")
        pairs = []
        for part in query["sort"].strip().split(","):
            key, _sep, direction = part.partition(":")
            pairs.append((_sort_key(key.strip()), _sort_dir(direction.strip() or "desc")))
        return pairs
    keys = [_sort_key(k.strip()) for k in query.getlist("sort_key")] or ["created_at"]
    dirs = [_sort_dir(d.strip()) for d in query.getlist("sort_dir")] or ["desc"]
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise exceptions.Invalid("Number of sort dirs does not match the number of sort keys")
    if len(dirs) == 1:
        dirs = dirs * len(keys)
    return list(zip(keys, dirs, strict=False)) + [(k, "desc") for k in keys[len(dirs) :]]


def page(query: QueryParams) -> PageRequest:
    limit = pagination.limit(query, default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
    assert limit is not None
    return PageRequest(limit=limit, marker=pagination.marker(query), sort=sorting(query))


def _apply(filters: ImageFilters, key: str, raw: str) -> None:
    if key in _LIST_FILTERS:
        values = raw[3:].split(",") if raw.startswith("in:") else [raw]
        setattr(filters, _LIST_FILTERS[key], [v.strip() for v in values])
    elif key == "visibility":
        if raw not in VISIBILITY_FILTERS:
            raise exceptions.Invalid(f"Invalid visibility value: {raw}")
        filters.visibility = raw
    elif key in ("size_min", "size_max"):
        setattr(filters, key, _int(key, raw))
    elif key == "os_hidden":
        filters.os_hidden = _bool(key, raw)
    elif key == "protected":
        filters.equals[key] = _bool(key, raw)
    elif key in _INTEGER_COLUMNS:
        filters.equals[key] = _int(key, raw)
    elif key in EQUALITY_COLUMNS:
        filters.equals[key] = raw
    elif key in ("created_at", "updated_at"):
        getattr(filters, key).append(_time_filter(key, raw))
    elif key == "changes-since":
        raise exceptions.Invalid('The "changes-since" filter is no longer available on v2.')
    else:
        filters.properties[key] = raw


def image_filters(query: QueryParams) -> ImageFilters:
    member_status = query.get("member_status", "accepted")
    if member_status not in MEMBER_STATUS_FILTERS:
        raise exceptions.Invalid(f"Invalid status: {member_status}")
    filters = ImageFilters(
        member_status=member_status, tags=[t.strip() for t in query.getlist("tag")]
    )
    for key, raw in query.items():
        if key not in _NOT_FILTERS:
            _apply(filters, key, raw)
    return filters


def links(query: QueryParams, next_marker: str | None) -> dict[str, str]:
    """``first`` (and ``next`` when there is another page) as Glance's relative links."""
    params = [(k, v) for k, v in query.multi_items() if k != "marker"]
    result = {"first": "/v2/images" + (f"?{urlencode(params)}" if params else "")}
    if next_marker is not None:
        result["next"] = "/v2/images?" + urlencode([*params, ("marker", next_marker)])
    return result
