"""Projects: CRUD, filters, hierarchy rules, tags, extra properties, revocation."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, token_status


def test_create_show_update_delete(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    p = create(
        cloud,
        "project",
        {"name": "p1", "description": "d", "tags": ["a", "b"], "cost_center": "42"},
    )
    assert p["domain_id"] == "default" and p["parent_id"] == "default" and p["is_domain"] is False
    assert p["enabled"] is True and p["tags"] == ["a", "b"] and p["cost_center"] == "42"
    assert cloud.identity.get(f"/v3/projects/{p['id']}", headers=admin).json()["project"] == p
    r = cloud.identity.patch(
        f"/v3/projects/{p['id']}",
        json={"project": {"name": "p2", "description": "new"}},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["project"]["name"] == "p2"
    assert r.json()["project"]["cost_center"] == "42"
    assert cloud.identity.delete(f"/v3/projects/{p['id']}", headers=admin).status_code == 204
    r = cloud.identity.get(f"/v3/projects/{p['id']}", headers=admin)
    assert (
        r.status_code == 404
        and r.json()["error"]["message"] == f"Could not find project: {p['id']}."
    )


def test_duplicate_name_in_domain_is_409(cloud: Cloud) -> None:
    create(cloud, "project", {"name": "p1"})
    r = cloud.identity.post(
        "/v3/projects", json={"project": {"name": "P1"}}, headers=cloud.admin_headers()
    )
    assert r.status_code == 409
    d = create(cloud, "domain", {"name": "other"})
    create(cloud, "project", {"name": "p1", "domain_id": d["id"]})


def test_list_filters(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    parent = create(cloud, "project", {"name": "parent"})
    child = create(
        cloud,
        "project",
        {"name": "child", "parent_id": parent["id"], "enabled": False, "tags": ["t1"]},
    )
    assert child["parent_id"] == parent["id"]

    def names(query: str) -> list[str]:
        r = cloud.identity.get(f"/v3/projects?{query}", headers=admin)
        assert r.status_code == 200, r.text
        return sorted(p["name"] for p in r.json()["projects"])

    assert names("name=child") == ["child"]
    assert names(f"parent_id={parent['id']}") == ["child"]
    assert names("enabled=false") == ["child"]
    assert names("tags=t1") == ["child"]
    assert "child" not in names("not-tags=t1")
    assert names("domain_id=nope") == []
    assert "admin" in names("domain_id=default")
    assert names("is_domain=true") == ["Default"]


def test_hierarchy_rules(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    parent = create(cloud, "project", {"name": "parent"})
    create(cloud, "project", {"name": "child", "parent_id": parent["id"]})
    assert cloud.identity.delete(f"/v3/projects/{parent['id']}", headers=admin).status_code == 403
    r = cloud.identity.patch(
        f"/v3/projects/{parent['id']}", json={"project": {"enabled": False}}, headers=admin
    )
    assert r.status_code == 403
    r = cloud.identity.post(
        "/v3/projects", json={"project": {"name": "x", "parent_id": "nope"}}, headers=admin
    )
    assert r.status_code == 404
    r = cloud.identity.patch(
        f"/v3/projects/{parent['id']}", json={"project": {"domain_id": "other"}}, headers=admin
    )
    assert r.status_code == 400


def test_is_domain_project_is_a_domain(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    p = create(cloud, "project", {"name": "dom", "is_domain": True, "domain_id": None})
    assert p["is_domain"] is True and p["domain_id"] is None and p["parent_id"] is None
    assert cloud.identity.get(f"/v3/domains/{p['id']}", headers=admin).status_code == 200


def test_disable_and_delete_revoke_tokens(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("p-revoke", role="member")
    assert token_status(cloud, alice.token) == 200
    r = cloud.identity.patch(
        f"/v3/projects/{alice.project_id}", json={"project": {"enabled": False}}, headers=admin
    )
    assert r.status_code == 200
    assert token_status(cloud, alice.token) == 401
    cloud.identity.patch(
        f"/v3/projects/{alice.project_id}", json={"project": {"enabled": True}}, headers=admin
    )
    token = cloud.token(alice.user_name, alice.password, alice.project_name)
    assert token_status(cloud, token) == 200
    assert (
        cloud.identity.delete(f"/v3/projects/{alice.project_id}", headers=admin).status_code == 204
    )
    assert token_status(cloud, token) == 401


def test_tags_api(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    p = create(cloud, "project", {"name": "p1"})
    base = f"/v3/projects/{p['id']}/tags"
    r = cloud.identity.put(base, json={"tags": ["a", "b"]}, headers=admin)
    assert r.status_code == 200 and r.json()["tags"] == ["a", "b"]
    assert cloud.identity.put(f"{base}/c", headers=admin).status_code == 201
    assert cloud.identity.get(base, headers=admin).json()["tags"] == ["a", "b", "c"]
    assert cloud.identity.get(f"{base}/c", headers=admin).status_code == 204
    assert cloud.identity.delete(f"{base}/c", headers=admin).status_code == 204
    assert cloud.identity.get(f"{base}/c", headers=admin).status_code == 404
    assert cloud.identity.delete(base, headers=admin).status_code == 204
    assert cloud.identity.get(base, headers=admin).json()["tags"] == []
    assert cloud.identity.put(base, json={"tags": ["a,b"]}, headers=admin).status_code == 400
    assert (
        cloud.identity.put(
            base, json={"tags": [f"t{i}" for i in range(81)]}, headers=admin
        ).status_code
        == 400
    )


def test_policy_member(cloud: Cloud) -> None:
    alice = cloud.new_user("p-alice", role="member")
    h = alice.headers
    assert (
        cloud.identity.post("/v3/projects", json={"project": {"name": "x"}}, headers=h).status_code
        == 403
    )
    assert cloud.identity.get("/v3/projects", headers=h).status_code == 403
    assert cloud.identity.get(f"/v3/projects/{alice.project_id}", headers=h).status_code == 200
    admin_project = cloud.identity.get(
        "/v3/projects?name=admin", headers=cloud.admin_headers()
    ).json()["projects"][0]
    assert cloud.identity.get(f"/v3/projects/{admin_project['id']}", headers=h).status_code == 403
    r = cloud.identity.get(f"/v3/users/{alice.user_id}/projects", headers=h)
    assert [p["id"] for p in r.json()["projects"]] == [alice.project_id]
