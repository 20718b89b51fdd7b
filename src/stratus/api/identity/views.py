"""How identity resources look in responses (Keystone v3 shapes), shared by every handler."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest
from stratus.common import clock
from stratus.db.models.identity import (
    AccessRule,
    Credential,
    Domain,
    Endpoint,
    Group,
    Project,
    Region,
    Role,
    Service,
    User,
)


def link(req: ApiRequest, path: str) -> str:
    return f"{req.base_url}{path}"


def collection(req: ApiRequest, key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"<key>": [...], "links": {...}}`` as Keystone lists are shaped."""
    url = str(req.raw.url)
    return {key: items, "links": {"self": url, "previous": None, "next": None}}


def access_rule(row: AccessRule) -> dict[str, Any]:
    """An access rule as application credentials list it (the rule's own view adds links)."""
    return {"id": row.external_id, "service": row.service, "path": row.path, "method": row.method}


def domain(req: ApiRequest, row: Domain) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "enabled": row.enabled,
        "tags": list(row.extra.get("tags", [])),
        "options": dict(row.extra.get("options", {})),
        "links": {"self": link(req, f"/v3/domains/{row.id}")},
        **{k: v for k, v in row.extra.items() if k not in ("tags", "options")},
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
        **row.extra,
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


def domain_as_project(req: ApiRequest, row: Domain) -> dict[str, Any]:
    """A domain seen through ``/v3/projects`` (``is_domain``), as Keystone stores domains."""
    return {
        "id": row.id,
        "name": row.name,
        "domain_id": None,
        "description": row.description,
        "enabled": row.enabled,
        "parent_id": None,
        "is_domain": True,
        "tags": list(row.extra.get("tags", [])),
        "options": dict(row.extra.get("options", {})),
        "links": {"self": link(req, f"/v3/projects/{row.id}")},
    }


def region(req: ApiRequest, row: Region) -> dict[str, Any]:
    return {
        "id": row.id,
        "description": row.description,
        "parent_region_id": row.parent_region_id,
        "links": {"self": link(req, f"/v3/regions/{row.id}")},
        **row.extra,
    }


def service(req: ApiRequest, row: Service) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "name": row.name,
        "description": row.description,
        "enabled": row.enabled,
        "links": {"self": link(req, f"/v3/services/{row.id}")},
        **row.extra,
    }


def endpoint(req: ApiRequest, row: Endpoint) -> dict[str, Any]:
    return {
        "id": row.id,
        "interface": row.interface,
        "region": row.region_id,
        "region_id": row.region_id,
        "service_id": row.service_id,
        "url": row.url,
        "enabled": row.enabled,
        "links": {"self": link(req, f"/v3/endpoints/{row.id}")},
        **row.extra,
    }


def credential(req: ApiRequest, row: Credential, blob: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "blob": blob,
        "user_id": row.user_id,
        "project_id": row.project_id,
        "links": {"self": link(req, f"/v3/credentials/{row.id}")},
        **row.extra,
    }
