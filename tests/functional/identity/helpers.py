"""Small request helpers shared by the identity API tests."""

from __future__ import annotations

from typing import Any

from tests.fixtures.cloud import Cloud


def create(
    cloud: Cloud, kind: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST /v3/<kind>s with ``{kind: body}``; asserts 201 and returns the new resource."""
    r = cloud.identity.post(
        f"/v3/{kind}s", json={kind: body}, headers=headers or cloud.admin_headers()
    )
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()[kind]
    return result


def role_id(cloud: Cloud, name: str) -> str:
    r = cloud.identity.get(f"/v3/roles?name={name}", headers=cloud.admin_headers())
    assert r.status_code == 200, r.text
    ident: str = r.json()["roles"][0]["id"]
    return ident


def login(cloud: Cloud, user_id: str, password: str, project_id: str | None = None) -> str:
    auth: dict[str, Any] = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"id": user_id, "password": password}},
        }
    }
    auth["scope"] = {"project": {"id": project_id}} if project_id else "unscoped"
    r = cloud.identity.post("/v3/auth/tokens?nocatalog", json={"auth": auth})
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def token_status(cloud: Cloud, token: str) -> int:
    """Status of a request authenticated with ``token`` (200 valid, 401 not)."""
    return cloud.identity.get("/v3/auth/projects", headers={"X-Auth-Token": token}).status_code
