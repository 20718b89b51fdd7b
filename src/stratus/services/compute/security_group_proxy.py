"""Nova's security-group proxy (``os-security-groups``, microversion <= 2.35) on the network
services, with Nova's own rules and answers.

Nova validates what Neutron does not (name and description are non-empty strings of at most 255
characters, ids are UUIDs), shows only ingress rules, writes ICMP "any" as -1 and a missing CIDR
as ``0.0.0.0/0``, refuses duplicate rules with 400 and turns Neutron's 409 ("in use") into 400.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.common.config import Config
from stratus.db.models.network import SecurityGroupRule
from stratus.db.repositories.network import security_groups as sg_repo
from stratus.db.repositories.network.listing import ListQuery
from stratus.db.session import Database
from stratus.services.network import security_groups, server_ports
from stratus.services.network.common import Caller, reading
from stratus.services.network.security_groups import GroupView, RuleInput

PROTOCOLS = ("tcp", "udp", "icmp")


class OwnerPolicy:
    """Network policy questions answered for the compute API: admins, or the owning project."""

    def __init__(self, project_id: str | None, is_admin: bool) -> None:
        self.project_id = project_id
        self.is_admin = is_admin

    def allowed(self, rule: str, target: Mapping[str, Any] | None = None) -> bool:
        return self.is_admin or (target or {}).get("project_id") == self.project_id


def caller(project_id: str | None, is_admin: bool) -> Caller:
    return Caller(
        project_id=project_id, is_admin=is_admin, policy=OwnerPolicy(project_id, is_admin)
    )


@dataclasses.dataclass(frozen=True)
class NovaRule:
    """A rule in Nova's terms; ``group`` is the remote group's (name, project) if any."""

    id: str
    parent_group_id: str
    ip_protocol: str | None
    from_port: int | None
    to_port: int | None
    cidr: str | None
    group: tuple[str, str] | None


def validate_id(value: str | None) -> str:
    if not ids.is_uuid_like(value):
        raise exceptions.Invalid("Security group id should be uuid")
    assert value is not None
    return value


def validate_property(value: object, name: str) -> str:
    """Nova's check of a group's name and description."""
    if not isinstance(value, str):
        raise exceptions.Invalid(f"Security group {name} is not a string or unicode")
    if not value.strip():
        raise exceptions.Invalid(f"Security group {name} cannot be empty.")
    if len(value) > 255:
        raise exceptions.Invalid(
            f"Security group {name} should not be greater than 255 characters."
        )
    return value


def _not_found(sg_id: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"Security group {sg_id} not found.")


def nova_rules(session: Session, rules: Sequence[SecurityGroupRule]) -> list[NovaRule]:
    """The ingress rules in Nova's format (rules whose remote group is gone are skipped)."""
    remote = sg_repo.by_ids(session, {r.remote_group_id for r in rules if r.remote_group_id})
    found: list[NovaRule] = []
    for rule in rules:
        if rule.direction != "ingress":
            continue
        low, high = rule.port_range_min, rule.port_range_max
        if rule.protocol and low is None and high is None:
            low, high = (1, 65535) if rule.protocol.lower() in ("tcp", "udp") else (-1, -1)
        group = None
        if rule.remote_group_id:
            source = remote.get(rule.remote_group_id)
            if source is None:
                continue
            group = (source.name, source.project_id)
        cidr = None if group else (rule.remote_ip_prefix or "0.0.0.0/0")
        found.append(
            NovaRule(rule.id, rule.security_group_id, rule.protocol, low, high, cidr, group)
        )
    return found


def list_groups(db: Database, who: Caller, all_projects: bool) -> list[GroupView]:
    equals = {} if all_projects and who.is_admin else {"project_id": [who.project_id]}
    groups, _more = security_groups.list_groups(db, who, ListQuery(equals=equals))
    return groups


def get_group(db: Database, who: Caller, sg_id: str) -> GroupView:
    try:
        return security_groups.get_group(db, who, validate_id(sg_id))
    except exceptions.NotFound:
        raise _not_found(sg_id) from None


def create_group(
    db: Database, cfg: Config, who: Caller, name: object, description: object
) -> GroupView:
    return security_groups.create_group(
        db,
        cfg,
        who,
        name=validate_property(name, "name"),
        description=validate_property(description, "description"),
    )


def update_group(
    db: Database, who: Caller, sg_id: str, name: object, description: object
) -> GroupView:
    validate_id(sg_id)
    new_name, new_description = (
        validate_property(name, "name"),
        validate_property(description, "description"),
    )
    try:
        return security_groups.update_group(
            db, who, sg_id, name=new_name, description=new_description
        )
    except exceptions.NotFound:
        raise _not_found(sg_id) from None
    except exceptions.Conflict as exc:
        raise exceptions.Invalid(exc.message) from None


def delete_group(db: Database, who: Caller, sg_id: str) -> None:
    validate_id(sg_id)
    try:
        security_groups.delete_group(db, who, sg_id)
    except exceptions.NotFound:
        raise _not_found(sg_id) from None
    except exceptions.Conflict as exc:
        raise exceptions.Invalid(exc.message) from None


@dataclasses.dataclass(frozen=True)
class NovaRuleRequest:
    parent_group_id: str | None
    ip_protocol: str | None = None
    from_port: object = None
    to_port: object = None
    cidr: str | None = None
    group_id: str | None = None


def _ports(req: NovaRuleRequest) -> tuple[str | None, int | None, int | None]:
    """Nova's ``_new_ingress_rule``: protocol and port range, checked."""
    proto, low, high = req.ip_protocol, req.from_port, req.to_port
    upper = (proto or "").upper()
    if req.group_id is not None and low is None and high is None:
        if upper == "ICMP":
            low = high = -1
        elif upper in ("TCP", "UDP"):
            low, high = 1, 65535
    if not proto or low is None or high is None:
        if req.group_id is None:
            raise exceptions.Invalid("Not enough parameters to build a valid rule.")
        return None, None, None
    try:
        first, last = int(str(low)), int(str(high))
    except ValueError:
        kind = (
            "Type and Code must be integers for ICMP protocol type"
            if upper == "ICMP"
            else ("To and From ports must be integers")
        )
        raise exceptions.Invalid(kind) from None
    if upper not in ("TCP", "UDP", "ICMP"):
        raise exceptions.Invalid(f"Invalid IP protocol {proto}.")
    if upper in ("TCP", "UDP") and first > last:
        raise exceptions.Invalid(
            f"Invalid port range {first}:{last}. Former value cannot be greater than the later"
        )
    if upper in ("TCP", "UDP") and (first < 1 or last > 65535):
        raise exceptions.Invalid(
            f"Invalid port range {first}:{last}. Valid {upper} ports should be between 1-65535"
        )
    if upper == "ICMP" and not (-1 <= first <= 255 and -1 <= last <= 255):
        raise exceptions.Invalid(
            f"Invalid port range {first}:{last}. For ICMP, the type:code must be valid"
        )
    return proto.lower(), None if first == -1 else first, None if last == -1 else last


def _cidr(raw: str | None) -> str:
    if not raw:
        return "0.0.0.0/0"
    try:
        net = ipaddress.ip_interface(raw)
    except ValueError:
        raise exceptions.Invalid(f"{raw} is not a valid IP network.") from None
    if net.network.prefixlen == 0 and str(net.ip) not in ("0.0.0.0", "::"):
        raise exceptions.Invalid(f"Bad prefix for network in cidr {raw}")
    return raw


def add_rule(db: Database, cfg: Config, who: Caller, req: NovaRuleRequest) -> NovaRule:
    """``POST /os-security-group-rules``."""
    parent = validate_id(req.parent_group_id)
    get_group(db, who, parent)
    if req.group_id is not None:
        get_group(db, who, validate_id(req.group_id))
    proto, low, high = _ports(req)
    cidr = None if req.group_id is not None else _cidr(req.cidr)
    ether = "IPv6" if cidr and ":" in cidr else "IPv4"
    spec = RuleInput(
        security_group_id=parent,
        direction="ingress",
        ethertype=ether,
        protocol=proto,
        port_range_min=low,
        port_range_max=high,
        remote_ip_prefix=cidr,
        remote_group_id=req.group_id,
    )
    with db.write() as session:
        try:
            row = security_groups.add_rule(session, cfg, who, spec)
        except exceptions.Conflict:
            raise exceptions.Invalid(f"This rule already exists in group {parent}") from None
        return nova_rules(session, [row])[0]


def delete_rule(db: Database, cfg: Config, who: Caller, rule_id: str) -> None:
    validate_id(rule_id)
    try:
        security_groups.delete_rule(db, cfg, who, rule_id)
    except exceptions.NotFound:
        raise exceptions.NotFound(f"Security group rule {rule_id} could not be found.") from None


def server_groups(db: Database, instance_uuid: str) -> list[GroupView]:
    """The groups on a server's ports (the caller already found the server)."""
    with reading(db) as session:
        found = sg_repo.by_ids(session, server_ports.instance_group_ids(session, instance_uuid))
        return security_groups.views(session, sorted(found.values(), key=lambda g: g.name))


def rules_in_nova_format(db: Database, groups: Sequence[GroupView]) -> dict[str, list[NovaRule]]:
    """group id -> its rules as Nova shows them."""
    with reading(db) as session:
        return {g.row.id: nova_rules(session, g.rules) for g in groups}
