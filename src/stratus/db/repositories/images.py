"""Queries on images, their properties, tags and members — the only place image SQL lives.

Listing follows Glance's visibility rules in SQL so pagination works on what the caller may see:
public and community images are visible to everyone, private ones to their owner, shared ones to
their owner and to member projects. Community images are listed only when asked for
(``visibility=community`` or ``all``) unless the caller owns them; shared images of other projects
are listed when the caller's membership has ``member_status`` (default ``accepted``).

Sorting is keyset-paginated on ``coalesce``-d expressions so NULLs order the same way on SQLite,
PostgreSQL and MySQL, with ``id`` as the final tie-breaker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.db.models.images import Image, ImageMember, ImageProperty, ImageTag

EQUALITY_COLUMNS = frozenset(
    {
        "owner",
        "protected",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "size",
        "virtual_size",
        "min_ram",
        "min_disk",
    }
)
SORT_KEYS = (
    "name",
    "status",
    "container_format",
    "disk_format",
    "size",
    "id",
    "created_at",
    "updated_at",
)


@dataclasses.dataclass(frozen=True)
class Access:
    """Who is asking: the caller's project (None if unscoped) and whether they are a cloud admin."""

    project_id: str | None
    is_admin: bool


@dataclasses.dataclass
class ImageFilters:
    """Filters of ``GET /v2/images``. ``None`` means "not filtered on".

    ``equals`` maps columns in ``EQUALITY_COLUMNS`` to the value they must have; ``properties``
    does the same for custom properties.
    """

    ids: list[str] | None = None
    names: list[str] | None = None
    statuses: list[str] | None = None
    container_formats: list[str] | None = None
    disk_formats: list[str] | None = None
    visibility: str | None = None
    member_status: str = "accepted"
    os_hidden: bool | None = False
    equals: dict[str, str | int | bool] = dataclasses.field(default_factory=dict)
    size_min: int | None = None
    size_max: int | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    properties: dict[str, str] = dataclasses.field(default_factory=dict)
    created_at: list[tuple[str, dt.datetime]] = dataclasses.field(default_factory=list)
    updated_at: list[tuple[str, dt.datetime]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PageRequest:
    """``limit`` rows after the image ``marker`` in ``sort`` order (pairs of key and asc|desc)."""

    limit: int
    marker: str | None = None
    sort: list[tuple[str, str]] = dataclasses.field(
        default_factory=lambda: [("created_at", "desc")]
    )


# ---------------------------------------------------------------------------------------- images


def get(session: Session, image_id: str, lock: bool = False) -> Image | None:
    """The image row, or None. ``lock`` takes a row lock (``SELECT ... FOR UPDATE``)."""
    query = sa.select(Image).where(Image.id == image_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def add(session: Session, image: Image) -> None:
    session.add(image)
    session.flush()


def delete(session: Session, image: Image) -> None:
    session.delete(image)
    session.flush()


@dataclasses.dataclass(frozen=True)
class OwnerUsage:
    """What one project's images use (the image quotas count it)."""

    count: int
    size: int
    uploading: int


def owner_usage(session: Session, owner: str, exclude: str | None = None) -> OwnerUsage:
    """Images owned by ``owner`` (all states), their stored bytes, those being uploaded;
    ``exclude``: leave one image out (the one whose upload is being accounted for)."""
    where = [Image.owner == owner]
    if exclude is not None:
        where.append(Image.id != exclude)
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Image.size), 0),
            sa.func.coalesce(sa.func.sum(sa.case((Image.status == "saving", 1), else_=0)), 0),
        ).where(*where)
    ).one()
    return OwnerUsage(count=int(row[0]), size=int(row[1]), uploading=int(row[2]))


def set_status(session: Session, image_id: str, expected: str, new: str, **values: Any) -> bool:
    """Compare-and-set: move the image from ``expected`` to ``new`` status (plus ``values``).

    Returns False when the image is gone or no longer in ``expected`` — the caller lost a race.
    """
    stmt = (
        sa.update(Image)
        .where(Image.id == image_id, Image.status == expected)
        .values(status=new, updated_at=clock.utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


def unchanged_since(session: Session, status: str, before: dt.datetime) -> list[str]:
    """Ids of images in ``status`` whose record has not changed since ``before``."""
    last_change = sa.func.coalesce(Image.updated_at, Image.created_at)
    query = sa.select(Image.id).where(Image.status == status, last_change < before)
    return list(session.scalars(query))


def sync_properties(image: Image, wanted: dict[str, str]) -> None:
    """Make the image's custom properties exactly ``wanted``, changing rows in place."""
    current = {p.name: p for p in image.properties}
    for name, prop in current.items():
        if name not in wanted:
            image.properties.remove(prop)
        elif prop.value != wanted[name]:
            prop.value = wanted[name]
    for name, value in wanted.items():
        if name not in current:
            image.properties.append(ImageProperty(name=name, value=value))


def sync_tags(image: Image, wanted: Sequence[str]) -> None:
    """Make the image's tags exactly ``wanted`` (a set; order is not kept)."""
    target = set(wanted)
    for tag in list(image.tags):
        if tag.value not in target:
            image.tags.remove(tag)
    have = {t.value for t in image.tags}
    for value in sorted(target - have):
        image.tags.append(ImageTag(value=value))


# ------------------------------------------------------------------------------------------ list

_TEXT_SORT = {"name", "container_format", "disk_format"}


def _sort_expr(key: str) -> sa.ColumnElement[Any]:
    column: sa.ColumnElement[Any] = getattr(Image, key)
    if key in _TEXT_SORT:
        return sa.func.coalesce(column, "")
    if key == "size":
        return sa.func.coalesce(column, -1)
    if key == "updated_at":
        return sa.func.coalesce(Image.updated_at, Image.created_at)
    return column


def _sort_value(image: Image, key: str) -> Any:
    value = getattr(image, key)
    if value is None:
        if key == "size":
            return -1
        if key == "updated_at":
            return image.created_at
        return ""
    return value


def _access_clause(access: Access, filters: ImageFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    project = access.project_id
    if filters.visibility is None:
        own = Image.owner == project if project is not None else sa.false()
        conditions.append(sa.or_(Image.visibility != "community", own))
    elif filters.visibility != "all":
        conditions.append(Image.visibility == filters.visibility)
    if access.is_admin:
        return conditions
    allowed: list[sa.ColumnElement[bool]] = [
        Image.visibility == "public",
        Image.visibility == "community",
    ]
    if project is not None:
        member = sa.select(ImageMember.image_id).where(
            ImageMember.image_id == Image.id, ImageMember.member_id == project
        )
        if filters.member_status != "all":
            member = member.where(ImageMember.status == filters.member_status)
        allowed.append(Image.owner == project)
        allowed.append(sa.and_(Image.visibility == "shared", member.exists()))
    conditions.append(sa.or_(*allowed))
    return conditions


def _in_or_eq(column: Any, values: list[str] | None) -> list[sa.ColumnElement[bool]]:
    if values is None:
        return []
    return [column.in_(values)] if len(values) > 1 else [column == values[0]]


_TIME_OPS = {
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
    "eq": lambda c, v: c == v,
    "neq": lambda c, v: c != v,
}


def _filter_clause(filters: ImageFilters) -> list[sa.ColumnElement[bool]]:
    conds: list[sa.ColumnElement[bool]] = []
    conds += _in_or_eq(Image.id, filters.ids)
    conds += _in_or_eq(Image.name, filters.names)
    conds += _in_or_eq(Image.status, filters.statuses)
    conds += _in_or_eq(Image.container_format, filters.container_formats)
    conds += _in_or_eq(Image.disk_format, filters.disk_formats)
    for key, value in filters.equals.items():
        if key not in EQUALITY_COLUMNS:
            raise ValueError(f"cannot filter images on {key}")
        conds.append(getattr(Image, key) == value)
    if filters.os_hidden is not None:
        conds.append(Image.os_hidden == filters.os_hidden)
    if filters.size_min is not None:
        conds.append(Image.size >= filters.size_min)
    if filters.size_max is not None:
        conds.append(Image.size <= filters.size_max)
    for tag in filters.tags:
        conds.append(
            sa.select(ImageTag.image_id)
            .where(ImageTag.image_id == Image.id, ImageTag.value == tag)
            .exists()
        )
    for name, value in filters.properties.items():
        prop = sa.select(ImageProperty.image_id).where(
            ImageProperty.image_id == Image.id,
            ImageProperty.name == name,
            ImageProperty.value == value,
        )
        conds.append(prop.exists())
    for op, when in filters.created_at:
        conds.append(_TIME_OPS[op](Image.created_at, when))
    for op, when in filters.updated_at:
        conds.append(_TIME_OPS[op](sa.func.coalesce(Image.updated_at, Image.created_at), when))
    return conds


def _after(marker: Image, sort: list[tuple[str, str]]) -> sa.ColumnElement[bool]:
    """Rows strictly after ``marker`` in ``sort`` order (the keyset condition)."""
    alternatives: list[sa.ColumnElement[bool]] = []
    for i, (key, direction) in enumerate(sort):
        same = [_sort_expr(k) == _sort_value(marker, k) for k, _d in sort[:i]]
        expr, value = _sort_expr(key), _sort_value(marker, key)
        beyond = expr > value if direction == "asc" else expr < value
        alternatives.append(sa.and_(*same, beyond))
    return sa.or_(*alternatives)


def list_images(
    session: Session, access: Access, filters: ImageFilters, page: PageRequest, marker: Image | None
) -> list[Image]:
    """Up to ``page.limit`` visible images matching ``filters``, after ``marker`` if given."""
    sort = list(page.sort)
    if not any(key == "id" for key, _d in sort):
        sort.append(("id", sort[-1][1] if sort else "desc"))
    query = sa.select(Image).where(*_access_clause(access, filters), *_filter_clause(filters))
    if marker is not None:
        query = query.where(_after(marker, sort))
    order = [_sort_expr(k).asc() if d == "asc" else _sort_expr(k).desc() for k, d in sort]
    query = query.order_by(*order).limit(page.limit)
    return list(session.scalars(query))


# --------------------------------------------------------------------------------------- members


def get_member(session: Session, image_id: str, member_id: str) -> ImageMember | None:
    return session.get(ImageMember, (image_id, member_id))


def list_members(session: Session, image_id: str) -> list[ImageMember]:
    query = (
        sa.select(ImageMember)
        .where(ImageMember.image_id == image_id)
        .order_by(ImageMember.created_at)
    )
    return list(session.scalars(query))


def count_members(session: Session, image_id: str) -> int:
    return int(
        session.scalar(sa.select(sa.func.count()).where(ImageMember.image_id == image_id)) or 0
    )


def add_member(session: Session, image_id: str, member_id: str) -> ImageMember:
    now = clock.utcnow()
    row = ImageMember(
        image_id=image_id, member_id=member_id, status="pending", created_at=now, updated_at=now
    )
    session.add(row)
    session.flush()
    return row


def delete_member(session: Session, member: ImageMember) -> None:
    session.delete(member)
    session.flush()
