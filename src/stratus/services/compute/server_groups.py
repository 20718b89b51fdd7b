"""Server groups: a policy (affinity, anti-affinity, soft-affinity, soft-anti-affinity) the
scheduler applies to the group's members; anti-affinity may carry the rule
``max_server_per_host``. Creating one counts against the project's ``server_groups`` quota.

Members are added by the servers API when a server is created with the scheduler hint
``group`` (``db.repositories.compute.server_groups.add_member``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.common.config import Config
from stratus.db.models.compute import ServerGroup
from stratus.db.repositories.compute import server_groups as repo
from stratus.services import quota

POLICIES = ("anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity")
HARD_POLICIES = ("anti-affinity", "affinity")


@dataclasses.dataclass(frozen=True)
class GroupView:
    row: ServerGroup
    members: list[str]


def create(
    session: Session,
    cfg: Config,
    project_id: str,
    user_id: str,
    name: str,
    policy: str,
    rules: dict[str, Any] | None = None,
) -> GroupView:
    """Create a group within the project's ``server_groups`` quota."""
    if policy not in POLICIES:
        raise exceptions.Invalid(f"Invalid server group policy {policy!r}.")
    rules = dict(rules or {})
    if rules and policy != "anti-affinity":
        raise exceptions.Invalid("Only anti-affinity policy supports rules.")
    quota.enforce(session, cfg, project_id, user_id, {"server_groups": 1})
    row = ServerGroup(
        uuid=ids.uuid_id(),
        name=name,
        project_id=project_id,
        user_id=user_id,
        policy=policy,
        rules=rules,
    )
    session.add(row)
    session.flush()
    return GroupView(row, [])


def views(session: Session, rows: list[ServerGroup]) -> list[GroupView]:
    members = repo.members_of(session, [r.id for r in rows])
    return [GroupView(r, members[r.id]) for r in rows]


def get(session: Session, group_uuid: str, project_id: str | None) -> GroupView:
    """The group; ``project_id`` (None for admins) hides other projects' groups (404)."""
    return views(session, [repo.get(session, group_uuid, project_id)])[0]


def delete(session: Session, group_uuid: str, project_id: str | None) -> None:
    repo.delete(session, repo.get(session, group_uuid, project_id))
