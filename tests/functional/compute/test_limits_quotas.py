"""``/limits``, ``/os-quota-sets`` and ``/os-quota-class-sets``: shapes per microversion,
defaults, updates (with and without ``force``), reset, and quota changes seen in /limits."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import add_instance, mv

V21_QUOTAS = {
    "instances",
    "cores",
    "ram",
    "floating_ips",
    "fixed_ips",
    "metadata_items",
    "key_pairs",
    "security_groups",
    "security_group_rules",
    "server_groups",
    "server_group_members",
    "injected_files",
    "injected_file_content_bytes",
    "injected_file_path_bytes",
}
NETWORK = {"floating_ips", "fixed_ips", "security_groups", "security_group_rules"}
FILES = {"injected_files", "injected_file_content_bytes", "injected_file_path_bytes"}


def test_limits_shapes_per_microversion(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    body = cloud.compute.get("/v2.1/limits", headers=demo).json()["limits"]
    assert body["rate"] == []
    absolute = body["absolute"]
    assert absolute["maxTotalInstances"] == 10
    assert absolute["maxTotalCores"] == 20
    assert absolute["maxTotalRAMSize"] == 51200
    assert absolute["maxTotalKeypairs"] == 100
    assert absolute["maxServerMeta"] == absolute["maxImageMeta"] == 128
    assert absolute["maxServerGroups"] == 10 and absolute["maxServerGroupMembers"] == 10
    assert absolute["maxTotalFloatingIps"] == 10 and absolute["maxSecurityGroups"] == 10
    assert absolute["maxSecurityGroupRules"] == 20 and absolute["maxPersonality"] == 5
    assert absolute["totalInstancesUsed"] == 0 and absolute["totalServerGroupsUsed"] == 0
    a236 = cloud.compute.get("/v2.1/limits", headers=mv(demo, "2.36")).json()["limits"]["absolute"]
    assert "maxTotalFloatingIps" not in a236 and "totalSecurityGroupsUsed" not in a236
    assert "maxImageMeta" in a236
    a239 = cloud.compute.get("/v2.1/limits", headers=mv(demo, "2.39")).json()["limits"]["absolute"]
    assert "maxImageMeta" not in a239 and "maxPersonality" in a239
    a257 = cloud.compute.get("/v2.1/limits", headers=mv(demo, "2.57")).json()["limits"]["absolute"]
    assert "maxPersonality" not in a257 and "maxPersonalitySize" not in a257


def test_quota_update_reflected_in_limits_and_usage(cloud: Cloud) -> None:
    user = cloud.new_user("limits-p")
    admin = cloud.admin_headers()
    add_instance(cloud, "h1", user.project_id, vcpus=2, memory_mb=1024)
    r = cloud.compute.put(
        f"/v2.1/os-quota-sets/{user.project_id}",
        json={"quota_set": {"instances": 3, "cores": "8", "ram": 4096}},
        headers=admin,
    )
    assert r.status_code == 200
    quota_set = r.json()["quota_set"]
    assert "id" not in quota_set and set(quota_set) == V21_QUOTAS
    assert (quota_set["instances"], quota_set["cores"], quota_set["ram"]) == (3, 8, 4096)
    absolute = cloud.compute.get("/v2.1/limits", headers=user.headers).json()["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 3 and absolute["maxTotalCores"] == 8
    assert absolute["totalInstancesUsed"] == 1 and absolute["totalCoresUsed"] == 2
    assert absolute["totalRAMUsed"] == 1024
    # members read their own project's quotas, not others'
    r = cloud.compute.get(f"/v2.1/os-quota-sets/{user.project_id}", headers=user.headers)
    assert r.status_code == 200 and r.json()["quota_set"]["id"] == user.project_id
    other = cloud.new_user("limits-other")
    r = cloud.compute.get(f"/v2.1/os-quota-sets/{user.project_id}", headers=other.headers)
    assert r.status_code == 403
    r = cloud.compute.get(f"/v2.1/limits?tenant_id={user.project_id}", headers=other.headers)
    assert r.status_code == 403
    r = cloud.compute.get(f"/v2.1/limits?tenant_id={user.project_id}", headers=admin)
    assert r.json()["limits"]["absolute"]["maxTotalInstances"] == 3
    detail = cloud.compute.get(
        f"/v2.1/os-quota-sets/{user.project_id}/detail", headers=user.headers
    ).json()["quota_set"]
    assert detail["cores"] == {"in_use": 2, "limit": 8, "reserved": 0}


def test_update_below_usage_needs_force(cloud: Cloud) -> None:
    user = cloud.new_user("force-p")
    admin = cloud.admin_headers()
    add_instance(cloud, "h1", user.project_id)
    add_instance(cloud, "h1", user.project_id)
    url = f"/v2.1/os-quota-sets/{user.project_id}"
    r = cloud.compute.put(url, json={"quota_set": {"instances": 1}}, headers=admin)
    assert r.status_code == 400 and "already used" in r.json()["badRequest"]["message"]
    r = cloud.compute.put(url, json={"quota_set": {"instances": 1, "force": True}}, headers=admin)
    assert r.status_code == 200 and r.json()["quota_set"]["instances"] == 1
    r = cloud.compute.put(url, json={"quota_set": {"instances": -1}}, headers=admin)
    assert r.status_code == 200 and r.json()["quota_set"]["instances"] == -1


def test_delete_restores_defaults_and_member_cannot_update(cloud: Cloud) -> None:
    user = cloud.new_user("reset-p")
    admin = cloud.admin_headers()
    url = f"/v2.1/os-quota-sets/{user.project_id}"
    cloud.compute.put(url, json={"quota_set": {"ram": 5120}}, headers=admin)
    assert cloud.compute.get(url, headers=admin).json()["quota_set"]["ram"] == 5120
    r = cloud.compute.put(url, json={"quota_set": {"ram": 1}}, headers=user.headers)
    assert r.status_code == 403
    assert cloud.compute.delete(url, headers=user.headers).status_code == 403
    r = cloud.compute.delete(url, headers=admin)
    assert r.status_code == 202
    assert cloud.compute.get(url, headers=admin).json()["quota_set"]["ram"] == 51200


def test_quota_set_fields_per_microversion(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    pid = cloud.new_user("mv-p").project_id
    url = f"/v2.1/os-quota-sets/{pid}"
    assert set(cloud.compute.get(url, headers=admin).json()["quota_set"]) == V21_QUOTAS | {"id"}
    q236 = cloud.compute.get(url, headers=mv(admin, "2.36")).json()["quota_set"]
    assert set(q236) == (V21_QUOTAS - NETWORK) | {"id"}
    q257 = cloud.compute.get(url, headers=mv(admin, "2.57")).json()["quota_set"]
    assert set(q257) == (V21_QUOTAS - NETWORK - FILES) | {"id"}
    r = cloud.compute.put(url, json={"quota_set": {"floating_ips": 5}}, headers=mv(admin, "2.36"))
    assert r.status_code == 400
    r = cloud.compute.put(url, json={"quota_set": {"floating_ips": 5}}, headers=admin)
    assert r.status_code == 200 and r.json()["quota_set"]["floating_ips"] == 5
    defaults = cloud.compute.get(f"{url}/defaults", headers=cloud.demo_headers())
    assert defaults.status_code == 200
    assert defaults.json()["quota_set"]["id"] == pid
    assert defaults.json()["quota_set"]["instances"] == 10


def test_quota_class_default(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    url = "/v2.1/os-quota-class-sets/default"
    body = cloud.compute.get(url, headers=admin).json()["quota_class_set"]
    assert body["id"] == "default" and "server_groups" not in body and "floating_ips" in body
    b250 = cloud.compute.get(url, headers=mv(admin, "2.50")).json()["quota_class_set"]
    assert "server_groups" in b250 and "floating_ips" not in b250
    assert cloud.compute.get(url, headers=cloud.demo_headers()).status_code == 403
    r = cloud.compute.put(url, json={"quota_class_set": {"instances": 7}}, headers=admin)
    assert r.status_code == 200 and r.json()["quota_class_set"]["instances"] == 7
    # new defaults apply to projects without their own limits
    demo = cloud.demo_headers()
    absolute = cloud.compute.get("/v2.1/limits", headers=demo).json()["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 7
    bad = {"quota_class_set": {"instances": -2}}
    assert cloud.compute.put(url, json=bad, headers=admin).status_code == 400


def test_bad_quota_input(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    pid = cloud.new_user("bad-q").project_id
    url = f"/v2.1/os-quota-sets/{pid}"
    for quota_set in (
        {"instances": "lots"},
        {"instances": -2},
        {"instances": 2**40},
        {"unknown_resource": 1},
        {"force": "maybe"},
    ):
        r = cloud.compute.put(url, json={"quota_set": quota_set}, headers=admin)
        assert r.status_code == 400, (quota_set, r.text)
    r = cloud.compute.put(
        "/v2.1/os-quota-sets/no-such-project", json={"quota_set": {"ram": 1}}, headers=admin
    )
    assert r.status_code == 400


def test_per_user_quota_is_shown_enforced_and_bounded(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("per-user-q")
    bob = cloud.new_user("per-user-q")
    url = f"/v2.1/os-quota-sets/{alice.project_id}"
    cloud.compute.put(url, json={"quota_set": {"server_groups": 5}}, headers=admin)
    r = cloud.compute.put(
        f"{url}?user_id={alice.user_id}", json={"quota_set": {"server_groups": 1}}, headers=admin
    )
    assert r.status_code == 200 and r.json()["quota_set"]["server_groups"] == 1
    shown = cloud.compute.get(f"{url}?user_id={alice.user_id}", headers=admin).json()
    assert shown["quota_set"]["server_groups"] == 1
    assert cloud.compute.get(url, headers=admin).json()["quota_set"]["server_groups"] == 5
    group = {"server_group": {"name": "g", "policies": ["affinity"]}}
    assert (
        cloud.compute.post("/v2.1/os-server-groups", json=group, headers=alice.headers).status_code
        == 200
    )
    r = cloud.compute.post("/v2.1/os-server-groups", json=group, headers=alice.headers)
    assert r.status_code == 403 and alice.user_id in r.json()["forbidden"]["message"]
    # bob, in the same project, only meets the project's limit
    assert (
        cloud.compute.post("/v2.1/os-server-groups", json=group, headers=bob.headers).status_code
        == 200
    )
    detail = cloud.compute.get(f"{url}/detail?user_id={alice.user_id}", headers=admin).json()
    assert detail["quota_set"]["server_groups"] == {"in_use": 1, "limit": 1, "reserved": 0}
    # a user's limit cannot exceed the project's, nor go below the user's usage
    too_high = {"quota_set": {"server_groups": 6}}
    r = cloud.compute.put(f"{url}?user_id={alice.user_id}", json=too_high, headers=admin)
    assert r.status_code == 400
    too_low = {"quota_set": {"server_groups": 0}}
    r = cloud.compute.put(f"{url}?user_id={alice.user_id}", json=too_low, headers=admin)
    assert r.status_code == 400
    r = cloud.compute.put(f"{url}?user_id=nobody", json=too_low, headers=admin)
    assert r.status_code == 400
    assert cloud.compute.delete(f"{url}?user_id={alice.user_id}", headers=admin).status_code == 202
    assert (
        cloud.compute.post("/v2.1/os-server-groups", json=group, headers=alice.headers).status_code
        == 200
    )
