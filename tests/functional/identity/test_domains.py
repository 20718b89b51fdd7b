"""Domains: CRUD, filters, deletion rules, and what deleting a domain takes with it."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, login, role_id, token_status


def test_create_show_list_filter(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    d = create(
        cloud, "domain", {"name": "d1", "description": "first", "tags": ["x"], "color": "blue"}
    )
    assert (
        d["name"] == "d1" and d["enabled"] is True and d["tags"] == ["x"] and d["color"] == "blue"
    )
    assert d["links"]["self"].endswith(f"/v3/domains/{d['id']}")
    assert cloud.identity.get(f"/v3/domains/{d['id']}", headers=admin).json()["domain"] == d
    names = [x["name"] for x in cloud.identity.get("/v3/domains", headers=admin).json()["domains"]]
    assert names == ["d1", "Default"] or sorted(names) == ["Default", "d1"]
    r = cloud.identity.get("/v3/domains?name=d1", headers=admin)
    assert [x["id"] for x in r.json()["domains"]] == [d["id"]]
    create(cloud, "domain", {"name": "d2", "enabled": False})
    r = cloud.identity.get("/v3/domains?enabled=false", headers=admin)
    assert [x["name"] for x in r.json()["domains"]] == ["d2"]


def test_duplicate_name_is_409_case_insensitive(cloud: Cloud) -> None:
    create(cloud, "domain", {"name": "Dup"})
    r = cloud.identity.post(
        "/v3/domains", json={"domain": {"name": "dUP"}}, headers=cloud.admin_headers()
    )
    assert r.status_code == 409
    assert r.json()["error"]["title"] == "Conflict"


def test_enabled_domain_cannot_be_deleted(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    d = create(cloud, "domain", {"name": "d1"})
    assert cloud.identity.delete(f"/v3/domains/{d['id']}", headers=admin).status_code == 403
    r = cloud.identity.patch(
        f"/v3/domains/{d['id']}", json={"domain": {"enabled": False}}, headers=admin
    )
    assert r.status_code == 200 and r.json()["domain"]["enabled"] is False
    assert cloud.identity.delete(f"/v3/domains/{d['id']}", headers=admin).status_code == 204
    r = cloud.identity.get(f"/v3/domains/{d['id']}", headers=admin)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == f"Could not find domain: {d['id']}."


def test_delete_takes_projects_users_groups_and_revokes(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    d = create(cloud, "domain", {"name": "d1"})
    p = create(cloud, "project", {"name": "p", "domain_id": d["id"]})
    u = create(cloud, "user", {"name": "u", "domain_id": d["id"], "password": "pw"})
    g = create(cloud, "group", {"name": "g", "domain_id": d["id"]})
    member = role_id(cloud, "member")
    assert (
        cloud.identity.put(
            f"/v3/projects/{p['id']}/users/{u['id']}/roles/{member}", headers=admin
        ).status_code
        == 204
    )
    token = login(cloud, u["id"], "pw", p["id"])
    assert token_status(cloud, token) == 200
    cloud.identity.patch(
        f"/v3/domains/{d['id']}", json={"domain": {"enabled": False}}, headers=admin
    )
    assert token_status(cloud, token) == 401
    assert cloud.identity.delete(f"/v3/domains/{d['id']}", headers=admin).status_code == 204
    for path in (f"/v3/projects/{p['id']}", f"/v3/users/{u['id']}", f"/v3/groups/{g['id']}"):
        assert cloud.identity.get(path, headers=admin).status_code == 404, path
    r = cloud.identity.get(f"/v3/role_assignments?role.id={member}", headers=admin)
    assert all(a["user"]["id"] != u["id"] for a in r.json()["role_assignments"])


def test_member_cannot_manage_domains_but_sees_own(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    assert cloud.identity.get("/v3/domains", headers=demo).status_code == 403
    assert (
        cloud.identity.post("/v3/domains", json={"domain": {"name": "x"}}, headers=demo).status_code
        == 403
    )
    assert cloud.identity.get("/v3/domains/default", headers=demo).status_code == 200
    assert (
        cloud.identity.patch(
            "/v3/domains/default", json={"domain": {"description": "x"}}, headers=demo
        ).status_code
        == 403
    )


def test_explicit_domain_id(cloud: Cloud) -> None:
    d = create(cloud, "domain", {"name": "d1", "explicit_domain_id": "d1id"})
    assert d["id"] == "d1id"
