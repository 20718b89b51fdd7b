"""Security groups and rules (Neutron ``/v2.0/security-groups``, ``/security-group-rules``).

Every project has a ``default`` group, made the first time the project lists or uses groups or
creates a port: egress anywhere (IPv4 and IPv6) and ingress from members of the same group. A new
group starts with the two egress rules. The default group cannot be renamed, nor deleted by
non-admins; no other group may be called ``default``; a group ports use cannot be deleted (409).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.common.config import Config
from stratus.db.models.network import SecurityGroup, SecurityGroupRule
from stratus.db.repositories.network import security_groups as repo
from stratus.db.repositories.network.listing import ListQuery, touch
from stratus.db.session import Database
from stratus.network import sg_rules
from stratus.network.errors import (
    InUse,
    SecurityGroupInUse,
    SecurityGroupNotFound,
    SecurityGroupRuleExists,
    SecurityGroupRuleNotFound,
)
from stratus.services import quota
from stratus.services.network import vifs
from stratus.services.network.common import Caller, enforce_quota, reading

DEFAULT = "default"


@dataclasses.dataclass(frozen=True)
class GroupView:
    row: SecurityGroup
    rules: tuple[SecurityGroupRule, ...]


@dataclasses.dataclass(frozen=True)
class RuleInput:
    security_group_id: str
    direction: str
    ethertype: str | None = None
    protocol: str | int | None = None
    port_range_min: int | str | None = None
    port_range_max: int | str | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    description: str = ""
    project_id: str | None = None


class DefaultGroupExists(InUse):
    message = "Default security group already exists."


class CannotRemoveDefault(InUse):
    message = "Insufficient rights for removing default security group."


class CannotUpdateDefault(InUse):
    message = "Updating default security group not allowed."


def _rule(
    group: SecurityGroup, spec: sg_rules.RuleSpec, description: str = ""
) -> SecurityGroupRule:
    now = clock.utcnow()
    return SecurityGroupRule(
        id=ids.uuid_id(),
        security_group_id=group.id,
        project_id=group.project_id,
        direction=spec.direction,
        ethertype=spec.ethertype,
        protocol=spec.protocol,
        port_range_min=spec.port_range_min,
        port_range_max=spec.port_range_max,
        remote_ip_prefix=spec.remote_ip_prefix,
        remote_group_id=spec.remote_group_id,
        description=description,
        revision_number=1,
        created_at=now,
        updated_at=now,
    )


def _starter_rules(group: SecurityGroup, intra_group: bool) -> list[SecurityGroupRule]:
    specs = [
        sg_rules.RuleSpec("egress", ether, None, None, None, None, None)
        for ether in sg_rules.ETHERTYPES
    ]
    if intra_group:
        specs += [
            sg_rules.RuleSpec("ingress", ether, None, None, None, None, group.id)
            for ether in sg_rules.ETHERTYPES
        ]
    return [_rule(group, s) for s in specs]


def _new_group(
    session: Session,
    project_id: str,
    name: str,
    description: str,
    stateful: bool = True,
    tags: Sequence[str] = (),
) -> SecurityGroup:
    now = clock.utcnow()
    group = SecurityGroup(
        id=ids.uuid_id(),
        name=name,
        project_id=project_id,
        description=description,
        stateful=stateful,
        tags=sorted(set(tags)),
        revision_number=1,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    session.flush()
    session.add_all(_starter_rules(group, intra_group=name == DEFAULT))
    session.flush()
    return group


def ensure_default(session: Session, project_id: str) -> SecurityGroup:
    """The project's ``default`` group, created if missing (call in a write transaction)."""
    found = repo.by_name(session, project_id, DEFAULT)
    if found:
        return found[0]
    quota.lock_project(session, project_id)
    found = repo.by_name(session, project_id, DEFAULT)
    if found:
        return found[0]
    return _new_group(session, project_id, DEFAULT, "Default security group")


def ensure_default_for(db: Database, project_id: str | None) -> None:
    """Create the project's default group unless it exists (cheap read first)."""
    if project_id is None:
        return
    with reading(db) as session:
        if repo.by_name(session, project_id, DEFAULT):
            return
    with db.write() as session:
        ensure_default(session, project_id)


def find(session: Session, caller: Caller, sg_id: str) -> SecurityGroup:
    row = repo.get(session, sg_id, repo.visible(caller.project_id, caller.is_admin))
    if row is None:
        raise SecurityGroupNotFound(sg_id)
    return row


def views(session: Session, rows: Sequence[SecurityGroup]) -> list[GroupView]:
    rules = repo.rules_of(session, [r.id for r in rows])
    return [GroupView(r, tuple(rules[r.id])) for r in rows]


def create_group(
    db: Database,
    cfg: Config,
    caller: Caller,
    *,
    name: str,
    description: str = "",
    project_id: str | None = None,
    stateful: bool = True,
    tags: Sequence[str] = (),
) -> GroupView:
    project = caller.owner_of_new(project_id)
    caller.check("create_security_group", {"project_id": project})
    with db.write() as session:
        ensure_default(session, project)
        if name == DEFAULT:
            raise DefaultGroupExists()
        enforce_quota(session, cfg, project, {"security_group": 1})
        group = _new_group(session, project, name, description, stateful, tags)
        return views(session, [group])[0]


def list_groups(db: Database, caller: Caller, q: ListQuery) -> tuple[list[GroupView], bool]:
    ensure_default_for(db, caller.project_id)
    with reading(db) as session:
        page = repo.list_(session, q, repo.visible(caller.project_id, caller.is_admin))
        return views(session, page.rows), page.more


def get_group(db: Database, caller: Caller, sg_id: str) -> GroupView:
    with reading(db) as session:
        return views(session, [find(session, caller, sg_id)])[0]


def update_group(
    db: Database,
    caller: Caller,
    sg_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    stateful: bool | None = None,
) -> GroupView:
    """Rename or re-describe a group (None: unchanged)."""
    with db.write() as session:
        group = find(session, caller, sg_id)
        caller.check("update_security_group", {"project_id": group.project_id})
        if name is not None and name != group.name:
            if group.name == DEFAULT:
                raise CannotUpdateDefault()
            if name == DEFAULT:
                raise DefaultGroupExists()
            group.name = name
        if description is not None:
            group.description = description
        if stateful is not None and stateful != group.stateful:
            if repo.port_ids_using(session, group.id):
                raise SecurityGroupInUse(group.id)
            group.stateful = stateful
        touch(group)
        session.flush()
        return views(session, [group])[0]


def delete_group(db: Database, caller: Caller, sg_id: str) -> None:
    """Delete a group and its rules (and rules elsewhere that name it as remote group)."""
    with db.write() as session:
        group = find(session, caller, sg_id)
        caller.check("delete_security_group", {"project_id": group.project_id})
        if group.name == DEFAULT and not caller.is_admin:
            raise CannotRemoveDefault()
        if repo.port_ids_using(session, group.id):
            raise SecurityGroupInUse(group.id)
        session.delete(group)
        session.flush()


def _normalize(spec: RuleInput) -> sg_rules.RuleSpec:
    return sg_rules.normalize(
        direction=spec.direction,
        ethertype=spec.ethertype,
        protocol=spec.protocol,
        port_range_min=spec.port_range_min,
        port_range_max=spec.port_range_max,
        remote_ip_prefix=spec.remote_ip_prefix,
        remote_group_id=spec.remote_group_id,
    )


def _existing(rule: SecurityGroupRule) -> sg_rules.RuleSpec:
    return sg_rules.RuleSpec(
        rule.direction,
        rule.ethertype,
        rule.protocol,
        rule.port_range_min,
        rule.port_range_max,
        rule.remote_ip_prefix,
        rule.remote_group_id,
    )


def add_rule(session: Session, cfg: Config, caller: Caller, spec: RuleInput) -> SecurityGroupRule:
    """Add a rule to a group in an open write transaction (duplicates are 409)."""
    normalized = _normalize(spec)
    group = find(session, caller, spec.security_group_id)
    caller.check("create_security_group_rule", {"project_id": group.project_id})
    if normalized.remote_group_id is not None:
        find(session, caller, normalized.remote_group_id)
    for rule in repo.rules_of(session, [group.id])[group.id]:
        if sg_rules.same_rule(_existing(rule), normalized):
            raise SecurityGroupRuleExists(rule.id)
    enforce_quota(session, cfg, group.project_id, {"security_group_rule": 1})
    row = _rule(group, normalized, spec.description)
    session.add(row)
    touch(group)
    session.flush()
    vifs.push_group_rules(session, cfg, group.id)
    return row


def create_rule(db: Database, cfg: Config, caller: Caller, spec: RuleInput) -> SecurityGroupRule:
    if caller.project_id is not None:
        ensure_default_for(db, caller.project_id)
    with db.write() as session:
        return add_rule(session, cfg, caller, spec)


def list_rules(db: Database, caller: Caller, q: ListQuery) -> tuple[list[SecurityGroupRule], bool]:
    ensure_default_for(db, caller.project_id)
    with reading(db) as session:
        page = repo.list_rules(session, q, repo.rule_visible(caller.project_id, caller.is_admin))
        return list(page.rows), page.more


def find_rule(session: Session, caller: Caller, rule_id: str) -> SecurityGroupRule:
    row = repo.get_rule(session, rule_id, repo.rule_visible(caller.project_id, caller.is_admin))
    if row is None:
        raise SecurityGroupRuleNotFound(rule_id)
    return row


def get_rule(db: Database, caller: Caller, rule_id: str) -> SecurityGroupRule:
    with reading(db) as session:
        return find_rule(session, caller, rule_id)


def delete_rule(db: Database, cfg: Config, caller: Caller, rule_id: str) -> None:
    with db.write() as session:
        row = find_rule(session, caller, rule_id)
        caller.check("delete_security_group_rule", {"project_id": row.project_id})
        group = repo.get(session, row.security_group_id, repo.visible(None, True))
        session.delete(row)
        if group is not None:
            touch(group)
        session.flush()
        vifs.push_group_rules(session, cfg, row.security_group_id)


def resolve(session: Session, project_id: str, names_or_ids: Sequence[str]) -> list[str]:
    """Group ids of ``project_id`` for names or ids (``default`` is created if needed); 404 for
    an unknown one, 409 when a name is ambiguous."""
    found: list[str] = []
    for item in names_or_ids:
        if item == DEFAULT:
            found.append(ensure_default(session, project_id).id)
            continue
        row = repo.get(session, item, repo.visible(project_id, False))
        if row is not None:
            found.append(row.id)
            continue
        named = repo.by_name(session, project_id, item)
        if not named:
            raise SecurityGroupNotFound(item)
        if len(named) > 1:
            raise exceptions.Conflict(
                f"Multiple security_group matches found for name '{item}', use an ID to be "
                "more specific."
            )
        found.append(named[0].id)
    return list(dict.fromkeys(found))
