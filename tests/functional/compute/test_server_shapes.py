"""Server responses per microversion: exactly the fields Nova shows, no more (Tempest checks
v2.1 with ``additionalProperties: false``) and no fewer."""

from __future__ import annotations

from tests.functional.compute.servers_helpers import (
    boot,
    reset_state,
    show,
    version,
)

BASE = {
    "id", "name", "status", "tenant_id", "user_id", "metadata", "hostId", "image", "flavor",
    "created", "updated", "addresses", "accessIPv4", "accessIPv6", "links", "OS-DCF:diskConfig",
}  # fmt: skip
DETAIL = BASE | {
    "progress", "OS-EXT-AZ:availability_zone", "config_drive", "key_name",
    "OS-SRV-USG:launched_at", "OS-SRV-USG:terminated_at", "security_groups",
    "OS-EXT-STS:task_state", "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state",
    "os-extended-volumes:volumes_attached",
}  # fmt: skip
ADMIN_21 = {
    "OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:instance_name", "OS-EXT-SRV-ATTR:hypervisor_hostname",
}  # fmt: skip
ADMIN_23 = ADMIN_21 | {
    "OS-EXT-SRV-ATTR:reservation_id", "OS-EXT-SRV-ATTR:launch_index",
    "OS-EXT-SRV-ATTR:hostname", "OS-EXT-SRV-ATTR:kernel_id", "OS-EXT-SRV-ATTR:ramdisk_id",
    "OS-EXT-SRV-ATTR:root_device_name", "OS-EXT-SRV-ATTR:user_data",
}  # fmt: skip
LATER = {"locked", "description", "tags", "trusted_image_certificates", "locked_reason"}


def test_v21_member_show(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    server = show(cloud, member.headers, created["id"], "2.1")
    assert set(server) == DETAIL
    assert set(server["flavor"]) == {"id", "links"}
    assert server["flavor"]["id"] == "1"
    assert server["image"]["id"] == image_id
    assert server["flavor"]["links"][0]["href"].endswith("/flavors/1")
    assert server["os-extended-volumes:volumes_attached"] == []
    assert server["OS-EXT-STS:power_state"] == 0


def test_v21_admin_show(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    server = show(cloud, cloud.admin_headers(), created["id"], "2.1")
    assert set(server) == DETAIL | ADMIN_21
    assert server["OS-EXT-SRV-ATTR:host"] is None


def test_v23_admin_show(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    server = show(cloud, cloud.admin_headers(), created["id"], "2.3")
    assert set(server) == DETAIL | ADMIN_23


def test_v247_embeds_the_flavor(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id, flavor="2")
    server = show(cloud, member.headers, created["id"], "2.47")
    assert server["flavor"] == {
        "vcpus": 1,
        "ram": 2048,
        "disk": 20,
        "ephemeral": 0,
        "swap": 0,
        "original_name": "m1.small",
        "extra_specs": {},
    }
    assert set(server) == DETAIL | {"locked", "description", "tags"}


def test_v279_member_and_admin_show(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    server = show(cloud, member.headers, created["id"], "2.79")
    assert set(server) == DETAIL | LATER | {"server_groups"}
    assert server["locked"] is False
    assert server["locked_reason"] is None
    assert server["trusted_image_certificates"] is None
    assert server["server_groups"] == []
    admin = show(cloud, cloud.admin_headers(), created["id"], "2.79")
    assert set(admin) == DETAIL | LATER | {"server_groups", "host_status"} | ADMIN_23
    assert admin["host_status"] == ""


def test_list_detail_has_no_server_groups(cloud, member, image_id):
    boot(cloud, member.headers, image_id)
    r = cloud.compute.get("/v2.1/servers/detail", headers={**member.headers, **version("2.79")})
    (server,) = r.json()["servers"]
    assert set(server) == DETAIL | LATER


def test_update_short_form_before_2_75(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    r = cloud.compute.put(
        f"/v2.1/servers/{created['id']}",
        json={"server": {"name": "renamed", "accessIPv4": "192.0.2.1"}},
        headers=member.headers,
    )
    assert r.status_code == 200, r.text
    server = r.json()["server"]
    assert server["name"] == "renamed"
    assert server["accessIPv4"] == "192.0.2.1"
    assert set(server) == BASE | {"progress"}
    r = cloud.compute.put(
        f"/v2.1/servers/{created['id']}",
        json={"server": {"description": "d"}},
        headers={**member.headers, **version("2.75")},
    )
    assert r.status_code == 200
    assert set(r.json()["server"]) == DETAIL | LATER | {"server_groups"}
    assert r.json()["server"]["description"] == "d"


def test_update_validation(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    url = f"/v2.1/servers/{created['id']}"
    for body in (
        {"server": {"name": ""}},
        {"server": {"name": "a" * 256}},
        {"server": {"description": "d"}},
        {"server": {"accessIPv4": "not-an-ip"}},
        {"name": "x"},
    ):
        r = cloud.compute.put(url, json=body, headers=member.headers)
        assert r.status_code == 400, body
    missing = "/v2.1/servers/6d9d3f36-8ff5-4f73-a1a5-5ff51db0d9b7"
    r = cloud.compute.put(missing, json={"server": {"name": "x"}}, headers=member.headers)
    assert r.status_code == 404


def test_fault_shown_on_error_with_details_for_admins(cloud, member, image_id):
    from stratus.db.repositories.compute import instances

    created = boot(cloud, member.headers, image_id)
    reset_state(cloud, created["id"], "error")
    with cloud.db.write() as session:
        instances.add_fault(session, created["id"], 500, "No valid host was found.", "trace")
    server = show(cloud, member.headers, created["id"])
    assert server["status"] == "ERROR"
    assert set(server["fault"]) == {"code", "created", "message"}
    assert server["fault"]["message"] == "No valid host was found."
    assert "progress" not in server
    admin = show(cloud, cloud.admin_headers(), created["id"])
    assert admin["fault"]["details"] == "trace"


def test_version_headers(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    r = cloud.compute.get(
        f"/v2.1/servers/{created['id']}", headers={**member.headers, **version("2.53")}
    )
    assert r.headers["openstack-api-version"] == "compute 2.53"
    r = cloud.compute.get(
        f"/v2.1/servers/{created['id']}", headers={**member.headers, **version("2.99")}
    )
    assert r.status_code == 406
