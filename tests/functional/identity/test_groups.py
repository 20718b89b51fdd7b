"""Groups: CRUD and membership; roles granted to a group reach its members."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, login, role_id


def test_crud(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    g = create(cloud, "group", {"name": "g1", "description": "first"})
    assert g["domain_id"] == "default" and g["description"] == "first"
    assert cloud.identity.get(f"/v3/groups/{g['id']}", headers=admin).json()["group"] == g
    r = cloud.identity.patch(f"/v3/groups/{g['id']}", json={"group": {"name": "g2"}}, headers=admin)
    assert r.status_code == 200 and r.json()["group"]["name"] == "g2"
    assert [
        x["name"] for x in cloud.identity.get("/v3/groups?name=g2", headers=admin).json()["groups"]
    ] == ["g2"]
    assert (
        cloud.identity.post("/v3/groups", json={"group": {"name": "G2"}}, headers=admin).status_code
        == 409
    )
    assert cloud.identity.delete(f"/v3/groups/{g['id']}", headers=admin).status_code == 204
    r = cloud.identity.get(f"/v3/groups/{g['id']}", headers=admin)
    assert (
        r.status_code == 404 and r.json()["error"]["message"] == f"Could not find group: {g['id']}."
    )


def test_membership(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    g = create(cloud, "group", {"name": "g1"})
    u = create(cloud, "user", {"name": "u1"})
    url = f"/v3/groups/{g['id']}/users/{u['id']}"
    assert cloud.identity.head(url, headers=admin).status_code == 404
    assert cloud.identity.put(url, headers=admin).status_code == 204
    assert cloud.identity.put(url, headers=admin).status_code == 204
    assert cloud.identity.head(url, headers=admin).status_code == 204
    r = cloud.identity.get(f"/v3/groups/{g['id']}/users", headers=admin)
    assert [x["id"] for x in r.json()["users"]] == [u["id"]]
    assert cloud.identity.delete(url, headers=admin).status_code == 204
    assert cloud.identity.delete(url, headers=admin).status_code == 404
    assert cloud.identity.put(f"/v3/groups/{g['id']}/users/nope", headers=admin).status_code == 404
    assert cloud.identity.put(f"/v3/groups/nope/users/{u['id']}", headers=admin).status_code == 404


def test_group_role_reaches_members(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    g = create(cloud, "group", {"name": "g1"})
    u = create(cloud, "user", {"name": "u1", "password": "pw"})
    p = create(cloud, "project", {"name": "p1"})
    member = role_id(cloud, "member")
    assert (
        cloud.identity.put(
            f"/v3/projects/{p['id']}/groups/{g['id']}/roles/{member}", headers=admin
        ).status_code
        == 204
    )
    cloud.identity.put(f"/v3/groups/{g['id']}/users/{u['id']}", headers=admin)
    token = login(cloud, u["id"], "pw", p["id"])
    r = cloud.identity.get("/v3/auth/tokens", headers={**admin, "X-Subject-Token": token})
    assert {"member", "reader"} <= {x["name"] for x in r.json()["token"]["roles"]}


def test_member_cannot_manage_groups(cloud: Cloud) -> None:
    h = cloud.demo_headers()
    assert (
        cloud.identity.post("/v3/groups", json={"group": {"name": "g"}}, headers=h).status_code
        == 403
    )
    assert cloud.identity.get("/v3/groups", headers=h).status_code == 403
