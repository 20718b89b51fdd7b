"""Quotas counted from real usage, checked in the same transaction that consumes them.

There are no usage counters to drift: usage is counted from the rows themselves (instances,
keypairs, ports …). To make "count, compare, insert" safe under concurrency, ``enforce`` first
locks the project's row in ``project_locks`` (``SELECT … FOR UPDATE`` on PostgreSQL and MySQL;
SQLite write transactions are already exclusive), so two requests of one project are counted one
after the other and can never together exceed a limit.

Limits: ``[quota]`` defaults, overridden by rows with ``project_id = "__default__"`` (the
``os-quota-class-sets`` default class), overridden by the project's own rows. -1 is unlimited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.models.compute import Instance, KeyPair, ProjectLock, Quota, ServerGroup

DEFAULT_CLASS = "__default__"
UNLIMITED = -1

Counter = Callable[[Session, str, str | None], int]


@dataclasses.dataclass(frozen=True)
class Resource:
    name: str
    count: Counter
    per_user: bool = False


_RESOURCES: dict[str, Resource] = {}


def register(name: str, count: Counter, per_user: bool = False) -> None:
    """Make ``name`` a quota resource whose usage ``count(session, project_id, user_id)`` gives."""
    _RESOURCES[name] = Resource(name, count, per_user)


def resources() -> Mapping[str, Resource]:
    return dict(_RESOURCES)


def _live_instances(project_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(Instance.project_id == project_id, Instance.deleted.is_(False))


def _sum(
    session: Session,
    column: sa.ColumnElement[int] | sa.orm.InstrumentedAttribute[int],
    project_id: str,
) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(_live_instances(project_id))
        )
        or 0
    )


register(
    "instances",
    lambda s, p, _u: int(s.scalar(sa.select(sa.func.count()).where(_live_instances(p))) or 0),
)
register("cores", lambda s, p, _u: _sum(s, Instance.vcpus, p))
register("ram", lambda s, p, _u: _sum(s, Instance.memory_mb, p))
register(
    "key_pairs",
    lambda s, _p, u: int(s.scalar(sa.select(sa.func.count()).where(KeyPair.user_id == u)) or 0),
    per_user=True,
)
register(
    "server_groups",
    lambda s, p, _u: int(
        s.scalar(sa.select(sa.func.count()).where(ServerGroup.project_id == p)) or 0
    ),
)


def defaults(session: Session, cfg: Config) -> dict[str, int]:
    """The default limit of every resource (config, then the default quota class)."""
    values = {f.name: int(getattr(cfg.quota, f.name)) for f in dataclasses.fields(cfg.quota)}
    for row in session.scalars(sa.select(Quota).where(Quota.project_id == DEFAULT_CLASS)):
        values[row.resource] = row.hard_limit
    return values


def limits(session: Session, cfg: Config, project_id: str) -> dict[str, int]:
    """The effective limits of ``project_id``."""
    values = defaults(session, cfg)
    for row in session.scalars(sa.select(Quota).where(Quota.project_id == project_id)):
        values[row.resource] = row.hard_limit
    return values


def usage(
    session: Session, project_id: str, user_id: str | None, names: list[str] | None = None
) -> dict[str, int]:
    chosen = names or list(_RESOURCES)
    return {n: _RESOURCES[n].count(session, project_id, user_id) for n in chosen if n in _RESOURCES}


def set_limit(session: Session, project_id: str, resource: str, hard_limit: int) -> None:
    row = session.scalar(
        sa.select(Quota).where(Quota.project_id == project_id, Quota.resource == resource)
    )
    if row is None:
        session.add(Quota(project_id=project_id, resource=resource, hard_limit=hard_limit))
    else:
        row.hard_limit = hard_limit
    session.flush()


def delete_limits(session: Session, project_id: str) -> None:
    """Back to the defaults (``DELETE /os-quota-sets/{project}``)."""
    session.execute(sa.delete(Quota).where(Quota.project_id == project_id))


def lock_project(session: Session, project_id: str) -> None:
    """Serialise quota-consuming transactions of one project (see the module docstring)."""
    if session.get(ProjectLock, project_id) is None:
        try:
            with session.begin_nested():
                session.add(ProjectLock(project_id=project_id))
        except sa.exc.IntegrityError:
            pass  # NOTE: another transaction created it first; locking it below waits for it.
    if session.get_bind().dialect.name != "sqlite":
        session.execute(
            sa.select(ProjectLock).where(ProjectLock.project_id == project_id).with_for_update()
        )


def enforce(
    session: Session, cfg: Config, project_id: str, user_id: str | None, deltas: Mapping[str, int]
) -> None:
    """Raise ``QuotaExceeded`` if adding ``deltas`` would pass a limit. Call inside the write
    transaction that then inserts the rows, after which the usage includes them."""
    wanted = {k: v for k, v in deltas.items() if v > 0}
    if not wanted:
        return
    lock_project(session, project_id)
    caps = limits(session, cfg, project_id)
    used = usage(session, project_id, user_id, list(wanted))
    over = [
        r
        for r, n in wanted.items()
        if caps.get(r, UNLIMITED) != UNLIMITED and used.get(r, 0) + n > caps[r]
    ]
    if over:
        detail = ", ".join(
            f"{r} (requested {wanted[r]}, used {used.get(r, 0)} of {caps[r]})" for r in over
        )
        raise exceptions.QuotaExceeded(f"Quota exceeded for {', '.join(over)}: {detail}.")
