"""Access rules: which (service, path, method) an application credential may call.

A rule belongs to the user. Creating a credential reuses the user's rule named by id, or the one
with the same service, path and method, and makes a new rule otherwise; rules stay when the
credential goes, and are deleted on request once no credential uses them (Keystone's model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.db.models.identity import AccessRule
from stratus.db.repositories.identity import access_rules


def _resolve_one(session: Session, user_id: str, ref: Mapping[str, Any]) -> AccessRule:
    rule_id: str | None = ref.get("id")
    if rule_id:
        found = access_rules.find(session, user_id, rule_id)
        if found is not None:
            return found
        if access_rules.id_owned_by_other(session, user_id, rule_id):
            raise exceptions.NotFound(f"Could not find access rule: {rule_id}.")
    service, path, method = (ref.get(k) for k in ("service", "path", "method"))
    if not (service and path and method):
        if rule_id:
            raise exceptions.NotFound(f"Could not find access rule: {rule_id}.")
        raise exceptions.Invalid(
            "Invalid access rule: give the id of an existing rule, or a service, path and method."
        )
    same = access_rules.find_same(session, user_id, service, path, method)
    if same is not None:
        return same
    return access_rules.create(session, user_id, rule_id or ids.hex_id(), service, path, method)


def resolve(session: Session, user_id: str, wanted: list[Mapping[str, Any]]) -> list[AccessRule]:
    """The user's rules for an application credential's ``access_rules``, made where missing.

    Called inside the credential's write transaction; a rule named twice is returned once.
    """
    chosen: dict[int, AccessRule] = {}
    for ref in wanted:
        rule = _resolve_one(session, user_id, ref)
        chosen.setdefault(rule.id, rule)
    return list(chosen.values())


def delete(session: Session, user_id: str, access_rule_id: str) -> None:
    """Delete the user's rule; ``Forbidden`` while an application credential uses it."""
    access_rules.delete(session, access_rules.get(session, user_id, access_rule_id))
