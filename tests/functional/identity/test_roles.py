"""Roles, implied roles and role inference rules."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, role_id


def test_crud_and_case_insensitive_names(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    r = create(cloud, "role", {"name": "Auditor", "description": "reads logs"})
    assert r["domain_id"] is None and r["description"] == "reads logs"
    assert (
        cloud.identity.post(
            "/v3/roles", json={"role": {"name": "auditor"}}, headers=admin
        ).status_code
        == 409
    )
    found = cloud.identity.get("/v3/roles?name=AUDITOR", headers=admin).json()["roles"]
    assert [x["id"] for x in found] == [r["id"]]
    assert (
        cloud.identity.get(f"/v3/roles/{r['id']}", headers=admin).json()["role"]["name"]
        == "Auditor"
    )
    upd = cloud.identity.patch(
        f"/v3/roles/{r['id']}", json={"role": {"name": "auditor2"}}, headers=admin
    )
    assert upd.status_code == 200 and upd.json()["role"]["name"] == "auditor2"
    names = {x["name"] for x in cloud.identity.get("/v3/roles", headers=admin).json()["roles"]}
    assert {"admin", "member", "reader", "service", "auditor2"} <= names
    assert cloud.identity.delete(f"/v3/roles/{r['id']}", headers=admin).status_code == 204
    missing = cloud.identity.get(f"/v3/roles/{r['id']}", headers=admin)
    assert (
        missing.status_code == 404
        and missing.json()["error"]["message"] == f"Could not find role: {r['id']}."
    )


def test_delete_role_removes_assignments(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    r = create(cloud, "role", {"name": "temp"})
    alice = cloud.new_user("p1")
    assert (
        cloud.identity.put(
            f"/v3/projects/{alice.project_id}/users/{alice.user_id}/roles/{r['id']}", headers=admin
        ).status_code
        == 204
    )
    cloud.identity.delete(f"/v3/roles/{r['id']}", headers=admin)
    rows = cloud.identity.get(
        f"/v3/role_assignments?user.id={alice.user_id}", headers=admin
    ).json()["role_assignments"]
    assert all(a["role"]["id"] != r["id"] for a in rows)


def test_implied_roles(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    prior = create(cloud, "role", {"name": "prior"})
    implied = create(cloud, "role", {"name": "implied"})
    url = f"/v3/roles/{prior['id']}/implies/{implied['id']}"
    assert cloud.identity.head(url, headers=admin).status_code == 404
    r = cloud.identity.put(url, headers=admin)
    assert r.status_code == 201
    body = r.json()["role_inference"]
    assert body["prior_role"]["id"] == prior["id"] and body["implies"]["id"] == implied["id"]
    assert cloud.identity.head(url, headers=admin).status_code == 204
    assert (
        cloud.identity.get(url, headers=admin).json()["role_inference"]["implies"]["name"]
        == "implied"
    )
    listing = cloud.identity.get(f"/v3/roles/{prior['id']}/implies", headers=admin).json()[
        "role_inference"
    ]
    assert [x["id"] for x in listing["implies"]] == [implied["id"]]
    rules = cloud.identity.get("/v3/role_inferences", headers=admin).json()["role_inferences"]
    assert any(x["prior_role"]["id"] == prior["id"] for x in rules)
    assert any(
        x["prior_role"]["name"] == "admin" and x["implies"][0]["name"] == "member" for x in rules
    )
    # cycles and implying admin are refused
    assert (
        cloud.identity.put(
            f"/v3/roles/{implied['id']}/implies/{prior['id']}", headers=admin
        ).status_code
        == 403
    )
    assert (
        cloud.identity.put(
            f"/v3/roles/{prior['id']}/implies/{role_id(cloud, 'admin')}", headers=admin
        ).status_code
        == 403
    )
    assert cloud.identity.delete(url, headers=admin).status_code == 204
    assert cloud.identity.delete(url, headers=admin).status_code == 404
    assert (
        cloud.identity.put(f"/v3/roles/nope/implies/{implied['id']}", headers=admin).status_code
        == 404
    )


def test_member_cannot_manage_roles(cloud: Cloud) -> None:
    h = cloud.demo_headers()
    assert cloud.identity.get("/v3/roles", headers=h).status_code == 403
    assert (
        cloud.identity.post("/v3/roles", json={"role": {"name": "x"}}, headers=h).status_code == 403
    )
