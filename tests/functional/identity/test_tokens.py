"""Tokens: issue, validate, check, revoke, rescope, expiry, catalog."""

from __future__ import annotations

from stratus.common import exceptions
from tests.fixtures.cloud import Cloud


def _password_auth(user: str, password: str, project: str | None = None) -> dict[str, object]:
    auth: dict[str, object] = {
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": {"id": "default"}, "password": password}},
        }
    }
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    return {"auth": auth}


def test_issue_project_scoped_token_with_catalog(cloud: Cloud) -> None:
    r = cloud.identity.post(
        "/v3/auth/tokens", json=_password_auth("admin", cloud.admin_password, "admin")
    )
    assert r.status_code == 201, r.text
    assert r.headers["X-Subject-Token"]
    assert r.headers["x-openstack-request-id"].startswith("req-")
    token = r.json()["token"]
    assert token["methods"] == ["password"]
    assert token["project"]["name"] == "admin"
    assert token["project"]["domain"] == {"id": "default", "name": "Default"}
    assert {"admin", "member", "reader"} <= {role["name"] for role in token["roles"]}
    types = {entry["type"] for entry in token["catalog"]}
    assert "identity" in types
    for entry in token["catalog"]:
        for ep in entry["endpoints"]:
            assert ep["region"] == ep["region_id"] == "RegionOne"
        assert {ep["interface"] for ep in entry["endpoints"]} == {"public", "internal", "admin"}
    assert token["expires_at"].endswith("Z")


def test_wrong_password_is_401_with_keystone_error(cloud: Cloud) -> None:
    r = cloud.identity.post("/v3/auth/tokens", json=_password_auth("admin", "nope", "admin"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == 401
    assert "WWW-Authenticate" in r.headers


def test_unknown_user_is_401(cloud: Cloud) -> None:
    r = cloud.identity.post("/v3/auth/tokens", json=_password_auth("ghost", "x"))
    assert r.status_code == 401


def test_unscoped_then_rescope(cloud: Cloud) -> None:
    r = cloud.identity.post("/v3/auth/tokens", json=_password_auth("demo", cloud.demo_password))
    assert r.status_code == 201
    body = r.json()["token"]
    # demo's default project is demo, so an unscoped request gets a demo-scoped token (Keystone)
    assert body["project"]["name"] == "demo"
    r = cloud.identity.post(
        "/v3/auth/tokens",
        json={
            "auth": {
                "identity": _password_auth("demo", cloud.demo_password)["auth"]["identity"],
                "scope": "unscoped",
            }
        },  # type: ignore[index]
    )
    unscoped = r.headers["X-Subject-Token"]
    unscoped_expiry = r.json()["token"]["expires_at"]
    assert "project" not in r.json()["token"] and "catalog" not in r.json()["token"]
    r = cloud.identity.post(
        "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": unscoped}},
                "scope": {"project": {"name": "demo", "domain": {"name": "Default"}}},
            }
        },
    )
    assert r.status_code == 201, r.text
    rescoped = r.json()["token"]
    assert rescoped["project"]["name"] == "demo"
    assert rescoped["methods"] == ["password", "token"]
    assert rescoped["expires_at"] == unscoped_expiry


def test_no_access_to_foreign_project(cloud: Cloud) -> None:
    r = cloud.identity.post(
        "/v3/auth/tokens", json=_password_auth("demo", cloud.demo_password, "admin")
    )
    assert r.status_code == 401


def test_validate_check_and_revoke(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    demo = cloud.demo_headers()["X-Auth-Token"]
    r = cloud.identity.get("/v3/auth/tokens", headers={**admin, "X-Subject-Token": demo})
    assert r.status_code == 200
    assert r.json()["token"]["user"]["name"] == "demo"
    assert (
        cloud.identity.head(
            "/v3/auth/tokens", headers={**admin, "X-Subject-Token": demo}
        ).status_code
        == 200
    )
    # a user may validate their own token
    assert (
        cloud.identity.get(
            "/v3/auth/tokens", headers={"X-Auth-Token": demo, "X-Subject-Token": demo}
        ).status_code
        == 200
    )
    assert (
        cloud.identity.delete(
            "/v3/auth/tokens", headers={**admin, "X-Subject-Token": demo}
        ).status_code
        == 204
    )
    assert (
        cloud.identity.get(
            "/v3/auth/tokens", headers={**admin, "X-Subject-Token": demo}
        ).status_code
        == 404
    )
    # the revoked token no longer authenticates anywhere
    assert (
        cloud.identity.get("/v3/auth/projects", headers={"X-Auth-Token": demo}).status_code == 401
    )


def test_member_cannot_validate_someone_elses_token(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    admin_token = cloud.admin_headers()["X-Auth-Token"]
    r = cloud.identity.get("/v3/auth/tokens", headers={**demo, "X-Subject-Token": admin_token})
    assert r.status_code == 403


def test_expired_token_is_401(cloud: Cloud) -> None:
    cloud.cfg.token.expiration = 1
    token = cloud.token("demo", cloud.demo_password, "demo")
    import time

    time.sleep(1.2)
    r = cloud.identity.get("/v3/auth/projects", headers={"X-Auth-Token": token})
    assert r.status_code == 401


def test_garbage_token_is_401(cloud: Cloud) -> None:
    assert (
        cloud.identity.get("/v3/auth/projects", headers={"X-Auth-Token": "gAAAAbogus"}).status_code
        == 401
    )
    assert cloud.identity.get("/v3/auth/projects").status_code == 401


def test_auth_projects_and_catalog(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    r = cloud.identity.get("/v3/auth/projects", headers=demo)
    assert [p["name"] for p in r.json()["projects"]] == ["demo"]
    r = cloud.identity.get("/v3/auth/catalog", headers=demo)
    assert r.status_code == 200 and r.json()["catalog"]


def test_token_survives_a_new_process_state(cloud: Cloud) -> None:
    """Tokens are validated from keys on disk, not memory: a fresh TokenService accepts them."""
    from stratus.services.identity.tokens import TokenService

    token = cloud.token("demo", cloud.demo_password, "demo")
    ctx = TokenService(cloud.db, cloud.cfg).validate(token)
    assert ctx.project_name == "demo" and "member" in ctx.roles and "reader" in ctx.roles


def test_bad_auth_bodies_are_400(cloud: Cloud) -> None:
    for body in (
        b"{not json",
        b'{"auth": 1}',
        b'{"auth": {"identity": {"methods": "password"}}}',
        b'{"auth": {"identity": {}}}',
        b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": 5}}}}}',
    ):
        r = cloud.identity.post(
            "/v3/auth/tokens", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, (body, r.text)


def test_exception_names_exist() -> None:
    assert issubclass(exceptions.NotAuthenticated, exceptions.StratusError)
