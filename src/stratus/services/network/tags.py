"""Tags on networks, subnets, ports and security groups (Neutron ``standard-attr-tag``).

Reading tags needs what reading the resource needs; changing them needs ``update_<resource>``.
Tags are kept sorted and unique; every change is a new revision of the resource.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.repositories.network.listing import touch
from stratus.db.session import Database
from stratus.services.network import networks, ports, security_groups, subnets
from stratus.services.network.common import Caller, reading

MAX_TAGS = 50
Finder = Callable[[Session, Caller, str], Any]
RESOURCES: dict[str, tuple[str, Finder]] = {
    "networks": ("network", networks.find),
    "subnets": ("subnet", subnets.find),
    "ports": ("port", ports.find),
    "security-groups": ("security_group", security_groups.find),
    "security_groups": ("security_group", security_groups.find),
}


def _finder(resource: str) -> tuple[str, Finder]:
    try:
        return RESOURCES[resource]
    except KeyError:
        raise exceptions.NotFound(f"Resource type {resource} does not support tags.") from None


def _check_tag(tag: str) -> None:
    if not tag or len(tag) > 60 or "," in tag or "/" in tag:
        raise exceptions.Invalid(f"Invalid input for tags. Reason: '{tag}' is not a valid tag.")


def get_tags(db: Database, caller: Caller, resource: str, resource_id: str) -> list[str]:
    _kind, find = _finder(resource)
    with reading(db) as session:
        return list(find(session, caller, resource_id).tags)


def _change(
    db: Database,
    caller: Caller,
    resource: str,
    resource_id: str,
    change: Callable[[list[str]], list[str]],
) -> list[str]:
    kind, find = _finder(resource)
    with db.write() as session:
        row = find(session, caller, resource_id)
        caller.check(f"update_{kind}", {"project_id": row.project_id})
        tags = sorted(set(change(list(row.tags))))
        if len(tags) > MAX_TAGS:
            raise exceptions.Invalid(f"The number of tags exceeds the limit {MAX_TAGS}.")
        row.tags = tags
        touch(row)
        session.flush()
        return tags


def replace_tags(
    db: Database, caller: Caller, resource: str, resource_id: str, tags: Sequence[str]
) -> list[str]:
    for tag in tags:
        _check_tag(tag)
    return _change(db, caller, resource, resource_id, lambda _old: list(tags))


def add_tag(db: Database, caller: Caller, resource: str, resource_id: str, tag: str) -> None:
    _check_tag(tag)
    _change(db, caller, resource, resource_id, lambda old: [*old, tag])


def remove_tag(db: Database, caller: Caller, resource: str, resource_id: str, tag: str) -> None:
    def drop(old: list[str]) -> list[str]:
        if tag not in old:
            raise exceptions.NotFound(f"Tag {tag} could not be found for {resource} {resource_id}.")
        return [t for t in old if t != tag]

    _change(db, caller, resource, resource_id, drop)


def has_tag(db: Database, caller: Caller, resource: str, resource_id: str, tag: str) -> None:
    """Nothing if the resource has ``tag``; 404 otherwise."""
    if tag not in get_tags(db, caller, resource, resource_id):
        raise exceptions.NotFound(f"Tag {tag} could not be found for {resource} {resource_id}.")
