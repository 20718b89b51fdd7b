"""``/os-server-groups``: policies and rules per microversion, visibility, quota, members."""

from __future__ import annotations

from typing import Any

from stratus.db.repositories.compute import server_groups
from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import mv


def _create(cloud: Cloud, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return cloud.compute.post(
        "/v2.1/os-server-groups", json={"server_group": body}, headers=headers
    )


def test_shapes_per_microversion(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    r = _create(cloud, demo, {"name": "g1", "policies": ["anti-affinity"]})
    assert r.status_code == 200
    assert set(r.json()["server_group"]) == {"id", "name", "policies", "members", "metadata"}
    assert r.json()["server_group"]["policies"] == ["anti-affinity"]
    gid = r.json()["server_group"]["id"]
    shown = cloud.compute.get(f"/v2.1/os-server-groups/{gid}", headers=mv(demo, "2.13")).json()
    assert {"project_id", "user_id"} <= set(shown["server_group"])
    v264 = cloud.compute.get(f"/v2.1/os-server-groups/{gid}", headers=mv(demo, "2.64")).json()
    assert v264["server_group"]["policy"] == "anti-affinity"
    assert v264["server_group"]["rules"] == {}
    assert "policies" not in v264["server_group"] and "metadata" not in v264["server_group"]


def test_policies_by_microversion(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    soft = {"name": "s", "policies": ["soft-affinity"]}
    assert _create(cloud, demo, soft).status_code == 400  # soft policies from 2.15
    assert _create(cloud, mv(demo, "2.15"), soft).status_code == 200
    rules = {"name": "r", "policy": "anti-affinity", "rules": {"max_server_per_host": "2"}}
    r = _create(cloud, mv(demo, "2.64"), rules)
    assert r.status_code == 200 and r.json()["server_group"]["rules"] == {"max_server_per_host": 2}
    bad_rules = {"name": "r", "policy": "affinity", "rules": {"max_server_per_host": 2}}
    r = _create(cloud, mv(demo, "2.64"), bad_rules)
    assert r.status_code == 400 and "anti-affinity" in r.json()["badRequest"]["message"]
    for body in (
        {"name": "x", "policies": ["affinity", "anti-affinity"]},
        {"name": "x", "policies": []},
        {"name": "x", "policies": ["nonsense"]},
        {"name": "", "policies": ["affinity"]},
        {"name": "x", "policy": "affinity"},
    ):
        assert _create(cloud, demo, body).status_code == 400, body
    for body in (
        {"name": "x", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}},
        {"name": "x", "policy": "anti-affinity", "rules": {"other": 1}},
        {"name": "x", "policies": ["affinity"]},
    ):
        assert _create(cloud, mv(demo, "2.64"), body).status_code == 400, body


def test_visibility_and_delete(cloud: Cloud) -> None:
    alice = cloud.new_user("sg-a")
    bob = cloud.new_user("sg-b")
    gid = _create(cloud, alice.headers, {"name": "mine", "policies": ["affinity"]}).json()[
        "server_group"
    ]["id"]
    url = f"/v2.1/os-server-groups/{gid}"
    assert cloud.compute.get(url, headers=bob.headers).status_code == 404
    assert cloud.compute.delete(url, headers=bob.headers).status_code == 404
    assert cloud.compute.get("/v2.1/os-server-groups", headers=bob.headers).json() == {
        "server_groups": []
    }
    admin = cloud.admin_headers()
    everyone = cloud.compute.get("/v2.1/os-server-groups?all_projects=True", headers=admin)
    assert gid in [g["id"] for g in everyone.json()["server_groups"]]
    own_only = cloud.compute.get("/v2.1/os-server-groups", headers=admin)
    assert gid not in [g["id"] for g in own_only.json()["server_groups"]]
    ignored = cloud.compute.get("/v2.1/os-server-groups?all_projects=True", headers=bob.headers)
    assert ignored.json() == {"server_groups": []}
    assert cloud.compute.delete(url, headers=alice.headers).status_code == 204
    assert cloud.compute.get(url, headers=alice.headers).status_code == 404


def test_members_listed(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    gid = _create(cloud, demo, {"name": "m", "policies": ["affinity"]}).json()["server_group"]["id"]
    with cloud.db.write() as s:
        server_groups.add_member(s, gid, "11111111-1111-1111-1111-111111111111")
        server_groups.add_member(s, gid, "11111111-1111-1111-1111-111111111111")
    shown = cloud.compute.get(f"/v2.1/os-server-groups/{gid}", headers=demo).json()
    assert shown["server_group"]["members"] == ["11111111-1111-1111-1111-111111111111"]


def test_server_group_quota(cloud: Cloud) -> None:
    user = cloud.new_user("sg-quota")
    cloud.compute.put(
        f"/v2.1/os-quota-sets/{user.project_id}",
        json={"quota_set": {"server_groups": 1}},
        headers=cloud.admin_headers(),
    )
    assert _create(cloud, user.headers, {"name": "a", "policies": ["affinity"]}).status_code == 200
    r = _create(cloud, user.headers, {"name": "b", "policies": ["affinity"]})
    assert r.status_code == 403 and "server_groups" in r.json()["forbidden"]["message"]
    used = cloud.compute.get("/v2.1/limits", headers=user.headers).json()["limits"]["absolute"]
    assert used["totalServerGroupsUsed"] == 1 and used["maxServerGroups"] == 1
