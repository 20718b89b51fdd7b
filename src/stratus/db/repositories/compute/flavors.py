"""Flavors, their extra specs and the projects allowed to use private ones.

Visibility follows Nova: an admin sees every flavor; anyone else sees public flavors and the
private ones their project was given access to. Listing is keyset-paginated on
``(sort_key, id)`` so a ``marker`` (a flavor id) works with every sort order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import Flavor, FlavorExtraSpec, FlavorProject

# API sort keys (Nova's names) -> columns.
SORT_KEYS: dict[str, Any] = {
    "created_at": Flavor.created_at,
    "description": Flavor.description,
    "disabled": Flavor.disabled,
    "ephemeral_gb": Flavor.ephemeral_gb,
    "flavorid": Flavor.flavorid,
    "id": Flavor.id,
    "is_public": Flavor.is_public,
    "memory_mb": Flavor.memory_mb,
    "name": Flavor.name,
    "root_gb": Flavor.root_gb,
    "rxtx_factor": Flavor.rxtx_factor,
    "swap": Flavor.swap,
    "updated_at": Flavor.updated_at,
    "vcpus": Flavor.vcpus,
}


@dataclasses.dataclass(frozen=True)
class Viewer:
    """Who looks: an admin sees everything, others public flavors plus their project's."""

    project_id: str | None
    is_admin: bool


@dataclasses.dataclass
class FlavorQuery:
    """Filters and paging of ``GET /flavors``; ``is_public`` None means public and private."""

    is_public: bool | None = True
    include_disabled: bool = True
    min_memory_mb: int | None = None
    min_root_gb: int | None = None
    sort_key: str = "flavorid"
    sort_dir: str = "asc"
    limit: int | None = None
    marker: str | None = None


def _accessible(project_id: str | None) -> sa.ColumnElement[bool]:
    shared = sa.select(FlavorProject.flavor_id).where(FlavorProject.project_id == project_id)
    return sa.or_(Flavor.is_public.is_(True), Flavor.id.in_(shared))


def _visible(viewer: Viewer) -> sa.ColumnElement[bool]:
    return sa.true() if viewer.is_admin else _accessible(viewer.project_id)


def find(session: Session, flavorid: str, viewer: Viewer | None = None) -> Flavor | None:
    query = sa.select(Flavor).where(Flavor.flavorid == flavorid)
    if viewer is not None:
        query = query.where(_visible(viewer))
    return session.scalars(query).one_or_none()


def get(session: Session, flavorid: str, viewer: Viewer | None = None) -> Flavor:
    """The flavor ``flavorid`` as ``viewer`` may see it; ``NotFound`` otherwise."""
    row = find(session, flavorid, viewer)
    if row is None:
        raise exceptions.NotFound(f"Flavor {flavorid} could not be found.")
    return row


def any_flavor(session: Session) -> bool:
    return session.scalar(sa.select(Flavor.id).limit(1)) is not None


def name_taken(session: Session, name: str) -> bool:
    return session.scalar(sa.select(Flavor.id).where(Flavor.name == name)) is not None


def _sort_column(key: str) -> Any:
    if key == "description":
        return sa.func.coalesce(Flavor.description, "")
    if key == "updated_at":
        return sa.func.coalesce(Flavor.updated_at, Flavor.created_at)
    return SORT_KEYS[key]


def _after_marker(
    session: Session, q: FlavorQuery, viewer: Viewer, column: Any
) -> sa.ColumnElement[bool]:
    if q.marker is None:
        return sa.true()
    marker = session.execute(
        sa.select(column, Flavor.id).where(Flavor.flavorid == q.marker, _visible(viewer))
    ).one_or_none()
    if marker is None:
        raise exceptions.Invalid(f"marker [{q.marker}] not found")
    value, pk = marker
    if q.sort_dir == "desc":
        return sa.or_(column < value, sa.and_(column == value, Flavor.id < pk))
    return sa.or_(column > value, sa.and_(column == value, Flavor.id > pk))


def list_(session: Session, q: FlavorQuery, viewer: Viewer) -> list[Flavor]:
    """Flavors matching ``q`` in its order; ``Invalid`` for an unknown marker."""
    query = sa.select(Flavor)
    if q.is_public is True:
        query = query.where(_accessible(viewer.project_id))
    elif q.is_public is False:
        query = query.where(Flavor.is_public.is_(False))
    if not viewer.is_admin:
        query = query.where(_accessible(viewer.project_id))
    if not q.include_disabled:
        query = query.where(Flavor.disabled.is_(False))
    if q.min_memory_mb is not None:
        query = query.where(Flavor.memory_mb >= q.min_memory_mb)
    if q.min_root_gb is not None:
        query = query.where(Flavor.root_gb >= q.min_root_gb)
    column = _sort_column(q.sort_key)
    query = query.where(_after_marker(session, q, viewer, column))
    if q.sort_dir == "desc":
        query = query.order_by(column.desc(), Flavor.id.desc())
    else:
        query = query.order_by(column.asc(), Flavor.id.asc())
    if q.limit is not None:
        query = query.limit(q.limit)
    return list(session.scalars(query))


def delete(session: Session, row: Flavor) -> None:
    session.execute(sa.delete(FlavorExtraSpec).where(FlavorExtraSpec.flavor_id == row.id))
    session.execute(sa.delete(FlavorProject).where(FlavorProject.flavor_id == row.id))
    session.delete(row)
    session.flush()


# -- extra specs --------------------------------------------------------------------------------
def extra_specs(session: Session, flavor_pk: int) -> dict[str, str]:
    rows = session.scalars(sa.select(FlavorExtraSpec).where(FlavorExtraSpec.flavor_id == flavor_pk))
    return {r.key: r.value for r in rows}


def extra_specs_of(session: Session, flavor_pks: Iterable[int]) -> dict[int, dict[str, str]]:
    """Extra specs of several flavors in one query (flavors without any map to ``{}``)."""
    wanted = list(flavor_pks)
    found: dict[int, dict[str, str]] = {pk: {} for pk in wanted}
    if wanted:
        query = sa.select(FlavorExtraSpec).where(FlavorExtraSpec.flavor_id.in_(wanted))
        for row in session.scalars(query):
            found[row.flavor_id][row.key] = row.value
    return found


def set_extra_specs(session: Session, flavor_pk: int, specs: dict[str, str]) -> None:
    """Create or overwrite the given keys; other keys stay."""
    current = {
        r.key: r
        for r in session.scalars(
            sa.select(FlavorExtraSpec).where(
                FlavorExtraSpec.flavor_id == flavor_pk, FlavorExtraSpec.key.in_(list(specs))
            )
        )
    }
    for key, value in specs.items():
        if key in current:
            current[key].value = value
        else:
            session.add(FlavorExtraSpec(flavor_id=flavor_pk, key=key, value=value))
    session.flush()


def delete_extra_spec(session: Session, flavor_pk: int, key: str) -> bool:
    result = session.execute(
        sa.delete(FlavorExtraSpec).where(
            FlavorExtraSpec.flavor_id == flavor_pk, FlavorExtraSpec.key == key
        )
    )
    return bool(getattr(result, "rowcount", 0))


# -- access to private flavors ------------------------------------------------------------------
def projects_with_access(session: Session, flavor_pk: int) -> list[str]:
    query = (
        sa.select(FlavorProject.project_id)
        .where(FlavorProject.flavor_id == flavor_pk)
        .order_by(FlavorProject.project_id)
    )
    return list(session.scalars(query))


def add_access(session: Session, flavor_pk: int, project_id: str) -> bool:
    """Grant access; False if the project already had it."""
    if session.get(FlavorProject, (flavor_pk, project_id)) is not None:
        return False
    session.add(FlavorProject(flavor_id=flavor_pk, project_id=project_id))
    session.flush()
    return True


def remove_access(session: Session, flavor_pk: int, project_id: str) -> bool:
    row = session.get(FlavorProject, (flavor_pk, project_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
