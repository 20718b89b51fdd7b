"""Quotas counted from real usage, checked in the same transaction that consumes them.

There are no usage counters to drift: usage is counted from the rows themselves (instances,
keypairs, ports …). To make "count, compare, insert" safe under concurrency, ``enforce`` first
locks the project's row in ``project_locks`` (``SELECT … FOR UPDATE`` on PostgreSQL and MySQL;
SQLite write transactions are already exclusive), so two requests of one project are counted one
after the other and can never together exceed a limit.

Limits: ``[quota]`` defaults, overridden by rows with ``project_id = "__default__"`` (the
``os-quota-class-sets`` default class), overridden by the project's own rows. -1 is unlimited.
A user may further be limited within a project (``project_user_quotas``): those limits are
checked against what that user alone uses (``Resource.count_user``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.models.compute import (
    Instance,
    KeyPair,
    ProjectLock,
    ProjectUserQuota,
    Quota,
    ServerGroup,
)

DEFAULT_CLASS = "__default__"
UNLIMITED = -1

Counter = Callable[[Session, str, str | None], int]


@dataclasses.dataclass(frozen=True)
class Resource:
    name: str
    count: Counter
    per_user: bool = False
    count_user: Counter | None = None  # what one user uses within the project


_RESOURCES: dict[str, Resource] = {}


def register(
    name: str, count: Counter, per_user: bool = False, count_user: Counter | None = None
) -> None:
    """Make ``name`` a quota resource whose usage ``count(session, project_id, user_id)`` gives;
    ``count_user`` (if any) counts one user's usage for per-user limits."""
    _RESOURCES[name] = Resource(name, count, per_user, count_user)


def resources() -> Mapping[str, Resource]:
    return dict(_RESOURCES)


def _live_instances(project_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(Instance.project_id == project_id, Instance.deleted.is_(False))


def _sum(
    session: Session,
    column: sa.ColumnElement[int] | sa.orm.InstrumentedAttribute[int],
    project_id: str,
    user_id: str | None = None,
) -> int:
    where = _live_instances(project_id)
    if user_id is not None:
        where = sa.and_(where, Instance.user_id == user_id)
    return int(
        session.scalar(sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(where)) or 0
    )


def _count_instances(session: Session, project_id: str, user_id: str | None = None) -> int:
    where = _live_instances(project_id)
    if user_id is not None:
        where = sa.and_(where, Instance.user_id == user_id)
    return int(session.scalar(sa.select(sa.func.count()).where(where)) or 0)


def _count_groups(session: Session, project_id: str, user_id: str | None = None) -> int:
    where = ServerGroup.project_id == project_id
    if user_id is not None:
        where = sa.and_(where, ServerGroup.user_id == user_id)
    return int(session.scalar(sa.select(sa.func.count()).where(where)) or 0)


def _count_keypairs(session: Session, _project_id: str, user_id: str | None) -> int:
    return int(session.scalar(sa.select(sa.func.count()).where(KeyPair.user_id == user_id)) or 0)


register("instances", lambda s, p, _u: _count_instances(s, p), count_user=_count_instances)
register(
    "cores",
    lambda s, p, _u: _sum(s, Instance.vcpus, p),
    count_user=lambda s, p, u: _sum(s, Instance.vcpus, p, u),
)
register(
    "ram",
    lambda s, p, _u: _sum(s, Instance.memory_mb, p),
    count_user=lambda s, p, u: _sum(s, Instance.memory_mb, p, u),
)
register("key_pairs", _count_keypairs, per_user=True, count_user=_count_keypairs)
register("server_groups", lambda s, p, _u: _count_groups(s, p), count_user=_count_groups)


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


# -- per-user limits within a project ---------------------------------------------------------
def _user_rows(project_id: str, user_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(ProjectUserQuota.project_id == project_id, ProjectUserQuota.user_id == user_id)


def user_limits(session: Session, project_id: str, user_id: str) -> dict[str, int]:
    """The limits set for ``user_id`` in ``project_id`` (only the resources that have one)."""
    return {
        r.resource: r.hard_limit
        for r in session.scalars(sa.select(ProjectUserQuota).where(_user_rows(project_id, user_id)))
    }


def set_user_limit(
    session: Session, project_id: str, user_id: str, resource: str, hard_limit: int
) -> None:
    query = sa.select(ProjectUserQuota).where(
        _user_rows(project_id, user_id), ProjectUserQuota.resource == resource
    )
    row = session.scalar(query)
    if row is None:
        session.add(
            ProjectUserQuota(
                project_id=project_id, user_id=user_id, resource=resource, hard_limit=hard_limit
            )
        )
    else:
        row.hard_limit = hard_limit
    session.flush()


def delete_user_limits(session: Session, project_id: str, user_id: str) -> None:
    session.execute(sa.delete(ProjectUserQuota).where(_user_rows(project_id, user_id)))


def user_usage(
    session: Session, project_id: str, user_id: str, names: list[str] | None = None
) -> dict[str, int]:
    """What ``user_id`` alone uses in the project (resources with a ``count_user``)."""
    chosen = [_RESOURCES[n] for n in (names or list(_RESOURCES)) if n in _RESOURCES]
    return {r.name: r.count_user(session, project_id, user_id) for r in chosen if r.count_user}


def _check_user(session: Session, project_id: str, user_id: str, wanted: Mapping[str, int]) -> None:
    caps = {
        r: c
        for r, c in user_limits(session, project_id, user_id).items()
        if r in wanted and c != UNLIMITED
    }
    if not caps:
        return
    used = user_usage(session, project_id, user_id, list(caps))
    over = [r for r, c in caps.items() if used.get(r, 0) + wanted[r] > c]
    if over:
        detail = ", ".join(
            f"{r} (requested {wanted[r]}, used {used.get(r, 0)} of {caps[r]})" for r in over
        )
        raise exceptions.QuotaExceeded(
            f"Quota exceeded for {', '.join(over)} of user {user_id}: {detail}."
        )


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
    caps = limits(session, cfg, project_id)
    limited = [r for r in wanted if caps.get(r, UNLIMITED) != UNLIMITED]
    user_limited = user_id is not None and any(
        c != UNLIMITED for r, c in user_limits(session, project_id, user_id).items() if r in wanted
    )
    if not limited and not user_limited:
        return  # NOTE: nothing to count against, so no reason to queue behind the project lock.
    lock_project(session, project_id)
    used = usage(session, project_id, user_id, limited)
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
    if user_id is not None:
        _check_user(session, project_id, user_id, wanted)
