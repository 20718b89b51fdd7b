"""``GET /v3/role_assignments``: who holds which role where, raw or effective.

Effective mode works like Keystone's: group assignments become one entry per member (remembering
the group), domain assignments inherited to projects become one entry per project of the domain,
and every role adds entries for the roles it implies (remembering the prior role). Group entries
and inherited-domain entries themselves are not part of an effective listing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.repositories.identity import (
    assignments,
    domains,
    groups,
    projects,
    roles,
    users,
)
from stratus.db.repositories.identity.assignments import SYSTEM_ID


@dataclasses.dataclass(frozen=True)
class Query:
    """The filters of the request, already parsed."""

    user_id: str | None = None
    group_id: str | None = None
    role_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    inherited: bool = False
    effective: bool = False
    include_subtree: bool = False


@dataclasses.dataclass(frozen=True)
class Source:
    """The stored assignment an entry comes from (for the ``links.assignment`` URL)."""

    actor_type: str
    actor_id: str
    target_type: str
    target_id: str
    role_id: str
    inherited: bool


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of the listing."""

    role_id: str
    actor_type: str  # user | group
    actor_id: str
    target_type: str  # project | domain | system
    target_id: str
    inherited: bool
    source: Source
    via_group: str | None = None
    prior_role_id: str | None = None


def _check(q: Query) -> None:
    if q.user_id and q.group_id:
        raise exceptions.Invalid("Specify a user or group, not both.")
    if sum(bool(x) for x in (q.project_id, q.domain_id, q.system)) > 1:
        raise exceptions.Invalid("Specify only one of project, domain or system scope.")
    if q.include_subtree and not q.project_id:
        raise exceptions.Invalid(
            "scope.project.id must be specified if include_subtree is also specified."
        )
    if q.effective and q.group_id:
        raise exceptions.Invalid(
            "Combining effective and group filter will always result in an empty list."
        )
    if q.effective and q.inherited and q.domain_id:
        raise exceptions.Invalid(
            "Combining effective, domain and inherited filters will always result in an empty list."
        )


def _raw(session: Session) -> list[Entry]:
    result = []
    for a in assignments.list_(session, assignments.AssignmentFilter()):
        src = Source(a.actor_type, a.actor_id, a.target_type, a.target_id, a.role_id, a.inherited)
        result.append(
            Entry(a.role_id, a.actor_type, a.actor_id, a.target_type, a.target_id, a.inherited, src)
        )
    return result


def _expand_groups(session: Session, entries: list[Entry]) -> list[Entry]:
    group_ids = {e.actor_id for e in entries if e.actor_type == "group"}
    members = users.member_ids(session, group_ids)
    result = []
    for e in entries:
        if e.actor_type != "group":
            result.append(e)
            continue
        for user_id in sorted(members.get(e.actor_id, ())):
            result.append(
                dataclasses.replace(e, actor_type="user", actor_id=user_id, via_group=e.actor_id)
            )
    return result


def _expand_inherited(session: Session, entries: list[Entry]) -> list[Entry]:
    result = []
    for e in entries:
        if not e.inherited:
            result.append(e)
            continue
        if e.target_type == "domain":
            targets = projects.ids_in_domain(session, e.target_id)
        else:
            targets = sorted(projects.subtree_ids(session, e.target_id) - {e.target_id})
        for project_id in targets:
            result.append(
                dataclasses.replace(e, target_type="project", target_id=project_id, inherited=False)
            )
    return result


def _expand_implied(session: Session, entries: list[Entry]) -> list[Entry]:
    result = []
    for e in entries:
        pending = [e]
        seen = {e.role_id}
        while pending:
            current = pending.pop(0)
            result.append(current)
            for implied in roles.implied_ids(session, current.role_id):
                if implied not in seen:
                    seen.add(implied)
                    pending.append(
                        dataclasses.replace(current, role_id=implied, prior_role_id=current.role_id)
                    )
    return result


def _keep(e: Entry, q: Query, project_ids: set[str] | None) -> bool:
    if q.user_id and (e.actor_type != "user" or e.actor_id != q.user_id):
        return False
    if q.group_id and (e.actor_type != "group" or e.actor_id != q.group_id):
        return False
    if q.role_id and e.role_id != q.role_id:
        return False
    if project_ids is not None and (e.target_type != "project" or e.target_id not in project_ids):
        return False
    if q.domain_id and (e.target_type != "domain" or e.target_id != q.domain_id):
        return False
    if q.system and e.target_type != "system":
        return False
    return not (q.inherited and not e.source.inherited)


def list_assignments(session: Session, q: Query) -> list[Entry]:
    """The role assignments matching ``q``."""
    _check(q)
    project_ids: set[str] | None = None
    if q.project_id:
        project_ids = (
            projects.subtree_ids(session, q.project_id) if q.include_subtree else {q.project_id}
        )
    entries = _raw(session)
    if q.effective:
        entries = _expand_implied(
            session, _expand_inherited(session, _expand_groups(session, entries))
        )
        # NOTE: domain-specific roles only carry the roles they imply; like Keystone, they never
        # appear in tokens, so not in the effective listing either.
        found = roles.by_ids(session, {e.role_id for e in entries})
        global_ids = {r.id for r in found if not r.domain_id}
        entries = [e for e in entries if e.role_id in global_ids]
    return [e for e in entries if _keep(e, q, project_ids)]


@dataclasses.dataclass
class Names:
    """Display names for ``include_names``: id -> (name, domain id) and domain id -> name."""

    users: dict[str, tuple[str, str]]
    groups: dict[str, tuple[str, str]]
    projects: dict[str, tuple[str, str]]
    roles: dict[str, tuple[str, str]]
    domains: dict[str, str]


def names_for(session: Session, entries: Iterable[Entry]) -> Names:
    entries = list(entries)

    def ids_of(kind: str, attr: str) -> set[str]:
        return {getattr(e, attr + "_id") for e in entries if getattr(e, attr + "_type") == kind}

    user_rows = users.by_ids(session, ids_of("user", "actor"))
    group_rows = groups.by_ids(session, ids_of("group", "actor"))
    project_rows = projects.by_ids(session, ids_of("project", "target"))
    role_rows = {r.id: r for r in roles.by_ids(session, {e.role_id for e in entries})}
    domain_ids = ids_of("domain", "target")
    domain_ids |= {u.domain_id for u in user_rows.values()}
    domain_ids |= {g.domain_id for g in group_rows.values()}
    domain_ids |= {p.domain_id for p in project_rows.values()}
    domain_ids |= {r.domain_id for r in role_rows.values() if r.domain_id}
    return Names(
        users={k: (v.name, v.domain_id) for k, v in user_rows.items()},
        groups={k: (v.name, v.domain_id) for k, v in group_rows.items()},
        projects={k: (v.name, v.domain_id) for k, v in project_rows.items()},
        roles={k: (v.name, v.domain_id) for k, v in role_rows.items()},
        domains={k: v.name for k, v in domains.by_ids(session, domain_ids).items()},
    )


__all__ = ["SYSTEM_ID", "Entry", "Names", "Query", "Source", "list_assignments", "names_for"]
