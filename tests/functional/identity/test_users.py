"""Users: CRUD, filters, passwords, revocation on disable/delete/password change, policy."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, login, role_id, token_status


def test_create_show_never_exposes_password(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    u = create(
        cloud,
        "user",
        {"name": "u1", "password": "secret", "email": "u1@example.com", "team": "red"},
    )
    assert u["domain_id"] == "default" and u["enabled"] is True and u["email"] == "u1@example.com"
    assert u["team"] == "red" and "password" not in u and "password_hash" not in u
    shown = cloud.identity.get(f"/v3/users/{u['id']}", headers=admin)
    assert shown.status_code == 200 and "secret" not in shown.text
    login(cloud, u["id"], "secret")


def test_list_filters(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    create(cloud, "user", {"name": "u1", "enabled": False})
    d = create(cloud, "domain", {"name": "d1"})
    create(cloud, "user", {"name": "u1", "domain_id": d["id"]})

    def names(query: str) -> list[tuple[str, str]]:
        r = cloud.identity.get(f"/v3/users?{query}", headers=admin)
        assert r.status_code == 200, r.text
        return sorted((x["name"], x["domain_id"]) for x in r.json()["users"])

    assert names("name=u1") == sorted([("u1", "default"), ("u1", d["id"])])
    assert names(f"domain_id={d['id']}") == [("u1", d["id"])]
    assert names("enabled=false") == [("u1", "default")]


def test_duplicate_and_unknown_domain(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    create(cloud, "user", {"name": "u1"})
    assert (
        cloud.identity.post("/v3/users", json={"user": {"name": "U1"}}, headers=admin).status_code
        == 409
    )
    r = cloud.identity.post(
        "/v3/users", json={"user": {"name": "u2", "domain_id": "nope"}}, headers=admin
    )
    assert r.status_code == 404 and r.json()["error"]["message"] == "Could not find domain: nope."


def test_update_password_revokes_tokens(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("p1")
    r = cloud.identity.patch(
        f"/v3/users/{alice.user_id}", json={"user": {"password": "new-pw"}}, headers=admin
    )
    assert r.status_code == 200
    assert token_status(cloud, alice.token) == 401
    login(cloud, alice.user_id, "new-pw", alice.project_id)


def test_disable_and_delete_revoke_tokens(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("p1")
    r = cloud.identity.patch(
        f"/v3/users/{alice.user_id}", json={"user": {"enabled": False}}, headers=admin
    )
    assert r.status_code == 200 and r.json()["user"]["enabled"] is False
    assert token_status(cloud, alice.token) == 401
    cloud.identity.patch(
        f"/v3/users/{alice.user_id}", json={"user": {"enabled": True}}, headers=admin
    )
    token = login(cloud, alice.user_id, alice.password, alice.project_id)
    assert cloud.identity.delete(f"/v3/users/{alice.user_id}", headers=admin).status_code == 204
    assert token_status(cloud, token) == 401
    r = cloud.identity.get(f"/v3/users/{alice.user_id}", headers=admin)
    assert (
        r.status_code == 404
        and r.json()["error"]["message"] == f"Could not find user: {alice.user_id}."
    )


def test_self_service_password_change(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    url = f"/v3/users/{alice.user_id}/password"
    r = cloud.identity.post(
        url, json={"user": {"password": "n", "original_password": "wrong"}}, headers=alice.headers
    )
    assert r.status_code == 401
    assert token_status(cloud, alice.token) == 200
    body = {"user": {"password": "brand-new", "original_password": alice.password}}
    assert cloud.identity.post(url, json=body, headers=alice.headers).status_code == 204
    assert token_status(cloud, alice.token) == 401
    login(cloud, alice.user_id, "brand-new", alice.project_id)
    r = cloud.identity.post(
        "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"id": alice.user_id, "password": alice.password}},
                }
            }
        },
    )
    assert r.status_code == 401


def test_user_projects_and_groups(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    u = create(cloud, "user", {"name": "u1", "password": "pw"})
    p1 = create(cloud, "project", {"name": "p1"})
    p2 = create(cloud, "project", {"name": "p2"})
    g = create(cloud, "group", {"name": "g1"})
    member = role_id(cloud, "member")
    cloud.identity.put(f"/v3/projects/{p1['id']}/users/{u['id']}/roles/{member}", headers=admin)
    cloud.identity.put(f"/v3/projects/{p2['id']}/groups/{g['id']}/roles/{member}", headers=admin)
    cloud.identity.put(f"/v3/groups/{g['id']}/users/{u['id']}", headers=admin)
    r = cloud.identity.get(f"/v3/users/{u['id']}/projects", headers=admin)
    assert sorted(p["name"] for p in r.json()["projects"]) == ["p1", "p2"]
    r = cloud.identity.get(f"/v3/users/{u['id']}/groups", headers=admin)
    assert [x["name"] for x in r.json()["groups"]] == ["g1"]
    assert cloud.identity.get("/v3/users/nope/projects", headers=admin).status_code == 404


def test_member_policy(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    h = alice.headers
    assert (
        cloud.identity.post("/v3/users", json={"user": {"name": "x"}}, headers=h).status_code == 403
    )
    assert cloud.identity.get("/v3/users", headers=h).status_code == 403
    assert cloud.identity.get(f"/v3/users/{alice.user_id}", headers=h).status_code == 200
    demo = cloud.identity.get("/v3/users?name=demo", headers=cloud.admin_headers()).json()["users"][
        0
    ]
    assert cloud.identity.get(f"/v3/users/{demo['id']}", headers=h).status_code == 403
    assert cloud.identity.get(f"/v3/users/{demo['id']}/projects", headers=h).status_code == 403
    assert (
        cloud.identity.patch(
            f"/v3/users/{alice.user_id}", json={"user": {"name": "z"}}, headers=h
        ).status_code
        == 403
    )
    assert cloud.identity.delete(f"/v3/users/{demo['id']}", headers=h).status_code == 403
