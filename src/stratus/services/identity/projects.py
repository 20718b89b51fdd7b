"""Projects: create, update, delete, tags, and which projects a user may see.

Keystone keeps a project's unknown attributes as "extra" properties and returns them; so does
Stratus. Disabling or deleting a project revokes every token scoped to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.db.models.identity import Domain, Project
from stratus.db.repositories.identity import assignments, credentials, domains, projects, users
from stratus.db.repositories.identity.common import name_key
from stratus.services.identity import domains as domain_service
from stratus.services.identity.domains import extras
from stratus.services.identity.tokens import TokenService

KNOWN = (
    "id",
    "name",
    "domain_id",
    "description",
    "enabled",
    "parent_id",
    "is_domain",
    "tags",
    "options",
)
MAX_TAGS = 80


def create(session: Session, body: Mapping[str, Any], default_domain: str) -> Project | Domain:
    """A new project (or, with ``is_domain``, a new domain); ``default_domain`` if none given."""
    if body.get("is_domain"):
        domain_body = {
            k: v for k, v in body.items() if k not in ("is_domain", "domain_id", "parent_id")
        }
        return domain_service.create(session, domain_body)
    parent_id = body.get("parent_id")
    domain_id = body.get("domain_id")
    if parent_id:
        parent = session.get(Project, parent_id)
        if parent is None:
            if session.get(Domain, parent_id) is None:
                raise exceptions.NotFound(f"Could not find project: {parent_id}.")
            domain_id, parent_id = domain_id or parent_id, None
        else:
            if domain_id and domain_id != parent.domain_id:
                raise exceptions.Invalid(
                    "Cannot create project, since it specifies its domain_id "
                    f"{domain_id}, but specifies a parent in a different domain "
                    f"({parent.domain_id})."
                )
            domain_id = parent.domain_id
    domain_id = domain_id or default_domain
    domains.get(session, domain_id)
    extra = extras(body, KNOWN)
    if options := body.get("options"):
        extra["options"] = dict(options)
    return projects.create(
        session,
        ids.hex_id(),
        body["name"],
        domain_id,
        description=body.get("description") or "",
        enabled=body.get("enabled", True),
        parent_id=parent_id if parent_id != domain_id else None,
        tags=_unique(body.get("tags") or []),
        extra=extra,
    )


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def _check_immutable_fields(row: Project, patch: Mapping[str, Any]) -> None:
    if "id" in patch and patch["id"] != row.id:
        raise exceptions.Invalid("Cannot change the ID of a project.")
    if "domain_id" in patch and patch["domain_id"] != row.domain_id:
        raise exceptions.Invalid("Update of `domain_id` is not allowed.")
    if patch.get("is_domain"):
        raise exceptions.Invalid("Update of `is_domain` is not allowed.")
    if "parent_id" in patch and (patch["parent_id"] or row.domain_id) != (
        row.parent_id or row.domain_id
    ):
        raise exceptions.Forbidden("Update of `parent_id` is not allowed.")


def _set_enabled(session: Session, tokens: TokenService, row: Project, enabled: bool) -> None:
    if enabled == row.enabled:
        return
    if enabled and row.parent_id:
        parent = projects.get(session, row.parent_id)
        if not parent.enabled:
            raise exceptions.Forbidden(
                f"Cannot enable project {row.id} since it has disabled parents."
            )
    if not enabled and any(p.enabled for p in projects.list_(session, parent_id=row.id)):
        raise exceptions.Forbidden(
            f"Cannot disable project {row.id} since its subtree contains enabled projects."
        )
    row.enabled = enabled
    if not enabled:
        tokens.revoke_for(session, project_id=row.id)


def update(
    session: Session, tokens: TokenService, project_id: str, patch: Mapping[str, Any]
) -> Project:
    row = projects.get(session, project_id)
    _check_immutable_fields(row, patch)
    if "name" in patch and patch["name"] != row.name:
        projects.check_name_free(session, patch["name"], row.domain_id, exclude_id=row.id)
        row.name, row.name_key = patch["name"], name_key(patch["name"])
    if "description" in patch:
        row.description = patch["description"] or ""
    if "tags" in patch:
        row.tags = _unique(patch["tags"] or [])
    extra = dict(row.extra)
    extra.update(extras(patch, KNOWN))
    if "options" in patch:
        extra["options"] = dict(patch["options"] or {})
    row.extra = extra
    if "enabled" in patch:
        _set_enabled(session, tokens, row, patch["enabled"])
    session.flush()
    tokens.forget_all()
    return row


def delete(session: Session, tokens: TokenService, project_id: str) -> None:
    row = projects.get(session, project_id)
    if projects.child_ids(session, project_id):
        raise exceptions.Forbidden(
            f"Cannot delete the project {project_id} since it is not a leaf in the hierarchy. "
            "Use the cascade option if you want to delete a whole subtree."
        )
    assignments.delete_for_target(session, "project", project_id)
    credentials.delete_for_projects(session, {project_id})
    tokens.revoke_for(session, project_id=project_id)
    projects.delete(session, row)
    tokens.forget_all()


# -- tags ---------------------------------------------------------------------------------------
def set_tags(session: Session, project_id: str, tags: list[str]) -> list[str]:
    row = projects.get(session, project_id)
    row.tags = _unique(tags)
    session.flush()
    return list(row.tags)


def add_tag(session: Session, project_id: str, tag: str) -> None:
    row = projects.get(session, project_id)
    if tag in row.tags:
        return
    if len(row.tags) >= MAX_TAGS:
        raise exceptions.Invalid(f"A project may have at most {MAX_TAGS} tags.")
    row.tags = [*row.tags, tag]
    session.flush()


def check_tag(session: Session, project_id: str, tag: str) -> None:
    if tag not in projects.get(session, project_id).tags:
        raise exceptions.NotFound(f"Could not find project tag: {tag}.")


def remove_tag(session: Session, project_id: str, tag: str) -> None:
    row = projects.get(session, project_id)
    if tag not in row.tags:
        raise exceptions.NotFound(f"Could not find project tag: {tag}.")
    row.tags = [t for t in row.tags if t != tag]
    session.flush()


def matches_tags(row: Project, flt: Mapping[str, list[str]]) -> bool:
    """Keystone's ``tags``, ``tags-any``, ``not-tags`` and ``not-tags-any`` list filters."""
    have = set(row.tags)
    if flt.get("tags") and not set(flt["tags"]) <= have:
        return False
    if flt.get("tags-any") and not set(flt["tags-any"]) & have:
        return False
    if flt.get("not-tags") and set(flt["not-tags"]) <= have:
        return False
    return not (flt.get("not-tags-any") and set(flt["not-tags-any"]) & have)


def projects_of_user(session: Session, user_id: str) -> list[Project]:
    """Projects the user has a role on: directly, through a group, or inherited from a domain."""
    users.get(session, user_id)
    group_ids = users.group_ids(session, user_id)
    project_ids = assignments.target_ids_for_user(session, user_id, group_ids, "project")
    for domain_id in assignments.target_ids_for_user(session, user_id, group_ids, "domain", True):
        project_ids.update(projects.ids_in_domain(session, domain_id))
    for root in assignments.target_ids_for_user(session, user_id, group_ids, "project", True):
        project_ids.update(projects.subtree_ids(session, root) - {root})
    return projects.list_(session, ids=project_ids)
