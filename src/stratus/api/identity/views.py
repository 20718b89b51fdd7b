"""How identity resources look in responses (Keystone v3 shapes), shared by every handler."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest
from stratus.db.models.identity import Domain, Group, Project, Role, User
from stratus.common import clock


def link(req: ApiRequest, path: str) -> str:
    return f"{req.base_url}{path}"


def collection(req: ApiRequest, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"<key>": [...], "links": {...}}`` as Keystone lists are shaped."""
    url = str(req.raw.url)
    return {key: items, "links": {"self": url, "previous": None, "next": None}}


def domain(req: ApiRequest, row: Domain) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "enabled": row.enabled,
        "tags": list(row.extra.get("tags", [])),
        "options": dict(row.extra.get("options", {})),
        "links": {"self": link(req, f"/v3/domains/{row.id}")},
    }


def project(req: ApiRequest, row: Project) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "domain_id": row.domain_id,
        "description": row.description,
        "enabled": row.enabled,
        "parent_id": row.parent_id or row.domain_id,
        "is_domain": False,
        "tags": list(row.tags),
        "options": dict(row.extra.get("options", {})),
        "links": {"self": link(req, f"/v3/projects/{row.id}")},
        **{k: v for k, v in row.extra.items() if k != "options"},
    }


def user(req: ApiRequest, row: User) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "domain_id": row.domain_id,
        "enabled": row.enabled,
        "password_expires_at": clock.isotime(row.password_expires_at, subsecond=True),
        "options": dict(row.options),
        "links": {"self": link(req, f"/v3/users/{row.id}")},
    }
    if row.default_project_id:
        body["default_project_id"] = row.default_project_id
    if row.description is not None:
        body["description"] = row.description
    if row.email is not None:
        body["email"] = row.email
    body.update(row.extra)
    return body


def group(req: ApiRequest, row: Group) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "domain_id": row.domain_id,
        "description": row.description,
        "links": {"self": link(req, f"/v3/groups/{row.id}")},
    }


def role(req: ApiRequest, row: Role) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "domain_id": row.domain_id or None,
        "options": dict(row.options),
        "links": {"self": link(req, f"/v3/roles/{row.id}")},
    }
    if row.description is not None:
        body["description"] = row.description
    return body
