"""Neutron-style listing in SQL: equality filters (repeated values = OR), tag filters, sorting
and ``limit``/``marker`` keyset pagination, for any network table.

Each resource repository passes its ``columns`` (API attribute name -> column) and a visibility
clause; attributes that are not plain columns (a port's ``fixed_ips``) come as ``extra``
conditions built by that repository.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from stratus.common import exceptions
from stratus.db.models.base import Base

Row = TypeVar("Row", bound=Base)
Columns = Mapping[str, "sa.ColumnElement[Any] | InstrumentedAttribute[Any]"]


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """A typed list request: filters, tag filters, sort keys and one page."""

    equals: Mapping[str, Sequence[Any]] = dataclasses.field(default_factory=dict)
    tags: Sequence[str] = ()
    tags_any: Sequence[str] = ()
    not_tags: Sequence[str] = ()
    not_tags_any: Sequence[str] = ()
    sort: Sequence[tuple[str, str]] = ()
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    changed_since: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of rows, and whether more rows follow it in the listing direction."""

    rows: list[Any]
    more: bool


def _in(column: Any, values: Sequence[Any]) -> sa.ColumnElement[bool]:
    present = [v for v in values if v is not None]
    clauses: list[sa.ColumnElement[bool]] = []
    if present:
        clauses.append(column.in_(present))
    if len(present) != len(values):
        clauses.append(column.is_(None))
    return sa.or_(*clauses)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def has_tag(tags_column: Any, tag: str) -> sa.ColumnElement[bool]:
    """Whether a JSON list-of-strings column contains ``tag`` (portable: text match)."""
    needle = f"%{_escape_like(json.dumps(tag))}%"
    result: sa.ColumnElement[bool] = sa.cast(tags_column, sa.Text).like(needle, escape="\\")
    return result


def _tag_clauses(tags_column: Any, q: ListQuery) -> list[sa.ColumnElement[bool]]:
    clauses = [has_tag(tags_column, t) for t in q.tags]
    if q.tags_any:
        clauses.append(sa.or_(*(has_tag(tags_column, t) for t in q.tags_any)))
    if q.not_tags:
        clauses.append(sa.not_(sa.and_(*(has_tag(tags_column, t) for t in q.not_tags))))
    if q.not_tags_any:
        clauses.append(sa.not_(sa.or_(*(has_tag(tags_column, t) for t in q.not_tags_any))))
    return clauses


def _keyset(keys: Sequence[tuple[Any, bool]], marker: Any) -> sa.ColumnElement[bool]:
    """Rows strictly after ``marker`` in the order ``keys`` (column attribute, ascending)."""
    ors: list[sa.ColumnElement[bool]] = []
    for i, (column, ascending) in enumerate(keys):
        value = getattr(marker, column.key)
        ands = [c == getattr(marker, c.key) for c, _asc in keys[:i]]
        ands.append(column > value if ascending else column < value)
        ors.append(sa.and_(*ands))
    return sa.or_(*ors)


def run(
    session: Session,
    model: type[Row],
    columns: Columns,
    visible: sa.ColumnElement[bool],
    q: ListQuery,
    extra: Sequence[sa.ColumnElement[bool]] = (),
) -> Page:
    """The page of ``model`` rows that ``q`` asks for, among the rows ``visible`` allows."""
    table: Any = model
    stmt = sa.select(model).where(visible, *extra)
    for name, values in q.equals.items():
        if name in columns:
            stmt = stmt.where(_in(columns[name], values))
    if hasattr(table, "tags"):
        stmt = stmt.where(*_tag_clauses(table.tags, q))
    if q.changed_since is not None:
        stmt = stmt.where(sa.func.coalesce(table.updated_at, table.created_at) >= q.changed_since)
    keys: list[tuple[Any, bool]] = [(columns[k], d == "asc") for k, d in q.sort if k != "id"]
    keys.append((table.id, not keys or keys[0][1]))
    if q.page_reverse:
        keys = [(c, not asc) for c, asc in keys]
    if q.marker is not None:
        marker = session.scalar(sa.select(model).where(visible, table.id == q.marker))
        if marker is None:
            raise exceptions.NotFound(f"Marker {q.marker} could not be found.")
        stmt = stmt.where(_keyset(keys, marker))
    stmt = stmt.order_by(*(c.asc() if asc else c.desc() for c, asc in keys))
    if q.limit is not None:
        stmt = stmt.limit(q.limit + 1)
    rows = list(session.scalars(stmt))
    more = q.limit is not None and len(rows) > q.limit
    if more:
        rows = rows[: q.limit]
    if q.page_reverse:
        rows.reverse()
    return Page(rows, more)


def sortable(columns: Columns, keys: Sequence[tuple[str, str]]) -> None:
    """400 unless every sort key is a column attribute."""
    for key, direction in keys:
        if key not in columns:
            raise exceptions.Invalid(f"{key} is invalid attribute for sort_key")
        if direction not in ("asc", "desc"):
            raise exceptions.Invalid(
                f"{direction} is invalid value for sort_dir, valid values are 'asc' and 'desc'"
            )


def touch(row: Any) -> None:
    """Bump a standard-attribute row's revision (every change is a new revision)."""
    row.revision_number = (row.revision_number or 0) + 1
