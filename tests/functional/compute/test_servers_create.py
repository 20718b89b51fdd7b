"""POST /servers: the response, what gets stored, and every way a create is refused."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.fixtures.cloud import Cloud
from tests.functional.compute.servers_helpers import (
    boot,
    server_body,
    show,
    upload_image,
    version,
)


def _post(cloud: Cloud, headers: dict[str, str], body: Any, v: str = "2.1") -> Any:
    return cloud.compute.post("/v2.1/servers", json=body, headers={**headers, **version(v)})


def test_create_answers_202_with_nova_shape(cloud, member, image_id):
    r = _post(cloud, member.headers, server_body(image_id, name="web"))
    assert r.status_code == 202
    assert r.headers["x-openstack-request-id"].startswith("req-")
    server = r.json()["server"]
    assert set(server) == {"id", "links", "OS-DCF:diskConfig", "security_groups", "adminPass"}
    assert server["security_groups"] == [{"name": "default"}]
    assert server["OS-DCF:diskConfig"] == "MANUAL"
    assert [link["rel"] for link in server["links"]] == ["self", "bookmark"]
    assert r.headers["location"].endswith(f"/v2.1/servers/{server['id']}")
    shown = show(cloud, member.headers, server["id"])
    assert shown["status"] == "BUILD"
    assert shown["OS-EXT-STS:task_state"] == "scheduling"
    assert shown["tenant_id"] == member.project_id
    assert shown["user_id"] == member.user_id
    assert shown["hostId"] == ""


def test_create_stores_what_was_asked(cloud, member, image_id):
    user_data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    created = boot(
        cloud,
        member.headers,
        image_id,
        name="Web_Server.01",
        metadata={"role": "web", "tier": "1"},
        user_data=user_data,
        accessIPv4="192.0.2.10",
        accessIPv6="0000:0000:0000:0000:0000:babe:220.12.22.2",
        adminPass="s3cret",
        config_drive=True,
        **{"OS-DCF:diskConfig": "AUTO"},
    )
    assert created["adminPass"] == "s3cret"
    assert created["OS-DCF:diskConfig"] == "AUTO"
    admin = cloud.admin_headers()
    shown = show(cloud, admin, created["id"], "2.3")
    assert shown["metadata"] == {"role": "web", "tier": "1"}
    assert shown["accessIPv4"] == "192.0.2.10"
    assert shown["accessIPv6"] == "::babe:dc0c:1602"  # canonical form, as Nova
    assert shown["config_drive"] == "True"
    assert shown["OS-EXT-SRV-ATTR:hostname"] == "web-server-01"
    assert shown["OS-EXT-SRV-ATTR:user_data"] == user_data
    assert shown["OS-EXT-SRV-ATTR:reservation_id"].startswith("r-")


def test_create_generates_a_password(cloud, member, image_id):
    first = boot(cloud, member.headers, image_id)
    second = boot(cloud, member.headers, image_id)
    assert len(first["adminPass"]) >= 12
    assert first["adminPass"] != second["adminPass"]


def test_multiple_create_names_and_reservation(cloud, member, image_id):
    body = server_body(image_id, name="batch", min_count=3, max_count=3)
    body["server"]["return_reservation_id"] = True
    r = _post(cloud, member.headers, body)
    assert r.status_code == 202
    reservation = r.json()["reservation_id"]
    listed = cloud.compute.get(
        f"/v2.1/servers?reservation_id={reservation}", headers=member.headers
    ).json()["servers"]
    assert sorted(s["name"] for s in listed) == ["batch-1", "batch-2", "batch-3"]


def test_max_count_is_cut_to_the_quota(cloud, member, image_id):
    admin = cloud.admin_headers()
    r = cloud.compute.put(
        f"/v2.1/os-quota-sets/{member.project_id}",
        json={"quota_set": {"instances": 2}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    r = _post(cloud, member.headers, server_body(image_id, name="many", min_count=1, max_count=5))
    assert r.status_code == 202
    listed = cloud.compute.get("/v2.1/servers", headers=member.headers).json()["servers"]
    assert sorted(s["name"] for s in listed) == ["many-1", "many-2"]
    r = _post(cloud, member.headers, server_body(image_id))
    assert r.status_code == 403
    assert "instances" in r.json()["forbidden"]["message"]


def test_min_count_over_quota_is_403(cloud, member, image_id):
    admin = cloud.admin_headers()
    cloud.compute.put(
        f"/v2.1/os-quota-sets/{member.project_id}", json={"quota_set": {"cores": 2}}, headers=admin
    )
    r = _post(cloud, member.headers, server_body(image_id, min_count=3, max_count=3))
    assert r.status_code == 403
    assert "cores" in r.json()["forbidden"]["message"]
    assert cloud.compute.get("/v2.1/servers", headers=member.headers).json()["servers"] == []


BAD_BODIES: list[tuple[str, Any]] = [
    ("no server key", {"name": "x"}),
    ("name missing", {"server": {"imageRef": "IMG", "flavorRef": "1"}}),
    ("name blank", {"server": {"name": "", "imageRef": "IMG", "flavorRef": "1"}}),
    ("name 256 chars", {"server": {"name": "a" * 256, "imageRef": "IMG", "flavorRef": "1"}}),
    ("name leading space", {"server": {"name": " x", "imageRef": "IMG", "flavorRef": "1"}}),
    ("flavorRef missing", {"server": {"name": "x", "imageRef": "IMG"}}),
    ("unknown field", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1", "foo": 1}}),
    ("metadata key too long", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                          "metadata": {"k" * 256: "v"}}}),
    ("metadata value not string", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                              "metadata": {"k": 1}}}),
    ("metadata blank key", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                       "metadata": {"": "v"}}}),
    ("bad accessIPv4", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                   "accessIPv4": "1.1.1.1.1"}}),
    ("bad diskConfig", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                   "OS-DCF:diskConfig": "SOMETIMES"}}),
    ("min_count zero", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                   "min_count": 0}}),
    ("min above max", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                  "min_count": 3, "max_count": 2}}),
    ("user_data not base64", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                         "user_data": "not base64!!"}}),
    ("description before 2.19", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                            "description": "d"}}),
    ("unknown flavor", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "999"}}),
    ("image not a uuid", {"server": {"name": "x", "imageRef": "abc", "flavorRef": "1"}}),
    ("unknown image", {"server": {"name": "x", "imageRef": "6d9d3f36-8ff5-4f73-a1a5-5ff51db0d9b7",
                                  "flavorRef": "1"}}),
    ("unknown keypair", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                    "key_name": "nope"}}),
    ("unknown security group", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                           "security_groups": [{"name": "nope"}]}}),
    ("unknown network", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                    "networks": [{"uuid": "a-b-c-d-e-f-g-h-i-j"}]}}),
    ("unknown zone", {"server": {"name": "x", "imageRef": "IMG", "flavorRef": "1",
                                 "availability_zone": "moon"}}),
    ("volume boot", {"server": {"name": "x", "imageRef": "", "flavorRef": "1",
                                "block_device_mapping_v2": [{"source_type": "volume",
                                                             "uuid": "v", "boot_index": 0}]}}),
]  # fmt: skip


def _fill(value: Any, image: str) -> Any:
    """``value`` with the placeholder ``IMG`` replaced by a real image id."""
    if value == "IMG":
        return image
    if isinstance(value, dict):
        return {k: _fill(v, image) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, image) for v in value]
    return value


@pytest.mark.parametrize(("case", "body"), BAD_BODIES, ids=[c for c, _ in BAD_BODIES])
def test_bad_create_is_400(cloud, member, image_id, case, body):
    r = _post(cloud, member.headers, _fill(body, image_id))
    assert r.status_code == 400, (case, r.text)
    assert r.json()["badRequest"]["message"]
    assert cloud.compute.get("/v2.1/servers", headers=member.headers).json()["servers"] == []


def test_networks_are_required_from_2_37(cloud, member, image_id):
    r = _post(cloud, member.headers, server_body(image_id), "2.37")
    assert r.status_code == 400
    assert "networks" in r.json()["badRequest"]["message"]
    r = _post(cloud, member.headers, server_body(image_id, networks="none"), "2.37")
    assert r.status_code == 202, r.text


def test_image_too_big_for_flavor(cloud, member):
    admin = cloud.admin_headers()
    needy = upload_image(cloud, admin, name="needy", min_ram=1024)
    r = _post(cloud, member.headers, server_body(needy, flavor="1"))
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == "Flavor's memory is too small for requested image."
    big_disk = upload_image(cloud, admin, name="bigdisk", min_disk=5)
    r = _post(cloud, member.headers, server_body(big_disk, flavor="1"))
    assert r.status_code == 400
    assert "disk is too small" in r.json()["badRequest"]["message"]
    assert _post(cloud, member.headers, server_body(big_disk, flavor="2")).status_code == 202


def test_queued_and_private_images_are_refused(cloud, member):
    admin = cloud.admin_headers()
    queued = upload_image(cloud, admin, name="queued", activate=False)
    r = _post(cloud, member.headers, server_body(queued))
    assert r.status_code == 400
    assert "not active" in r.json()["badRequest"]["message"]
    private = upload_image(cloud, admin, name="private", visibility="private")
    r = _post(cloud, member.headers, server_body(private))
    assert r.status_code == 400
    assert "could not be found" in r.json()["badRequest"]["message"]


def test_private_flavor_needs_access(cloud, member, image_id):
    admin = cloud.admin_headers()
    r = cloud.compute.post(
        "/v2.1/flavors",
        json={"flavor": {"name": "secret", "ram": 64, "vcpus": 1, "disk": 1, "id": "42",
                         "os-flavor-access:is_public": False}},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    r = _post(cloud, member.headers, server_body(image_id, flavor="42"))
    assert r.status_code == 400
    cloud.compute.post(
        "/v2.1/flavors/42/action",
        json={"addTenantAccess": {"tenant": member.project_id}},
        headers=admin,
    )
    assert _post(cloud, member.headers, server_body(image_id, flavor="42")).status_code == 202


def test_forcing_a_host_is_admin_only(cloud, member, image_id):
    r = _post(cloud, member.headers, server_body(image_id, availability_zone="nova:h1"))
    assert r.status_code == 403
    r = _post(cloud, member.headers, server_body(image_id, availability_zone="nova"))
    assert r.status_code == 202


def test_keypair_and_description(cloud, member, image_id):
    r = cloud.compute.post(
        "/v2.1/os-keypairs", json={"keypair": {"name": "k1"}}, headers=member.headers
    )
    assert r.status_code == 200, r.text
    created = boot(cloud, member.headers, image_id, key_name="k1")
    assert show(cloud, member.headers, created["id"])["key_name"] == "k1"
    r = _post(cloud, member.headers, server_body(image_id, description="about"), "2.19")
    assert r.status_code == 202
    shown = show(cloud, member.headers, r.json()["server"]["id"], "2.19")
    assert shown["description"] == "about"


def test_tags_on_create_from_2_52(cloud, member, image_id):
    r = _post(cloud, member.headers, server_body(image_id, tags=["a", "b"]), "2.51")
    assert r.status_code == 400
    r = _post(
        cloud, member.headers, server_body(image_id, tags=["a", "b"], networks="none"), "2.52"
    )
    assert r.status_code == 202
    shown = show(cloud, member.headers, r.json()["server"]["id"], "2.52")
    assert shown["tags"] == ["a", "b"]


def test_reader_cannot_create(cloud, image_id):
    reader = cloud.new_user(role="reader")
    r = _post(cloud, reader.headers, server_body(image_id))
    assert r.status_code == 403


def test_server_group_hint(cloud, member, image_id):
    r = cloud.compute.post(
        "/v2.1/os-server-groups",
        json={"server_group": {"name": "g", "policies": ["anti-affinity"]}},
        headers=member.headers,
    )
    assert r.status_code == 200, r.text
    group = r.json()["server_group"]["id"]
    body = server_body(image_id)
    body["os:scheduler_hints"] = {"group": group}
    r = _post(cloud, member.headers, body)
    assert r.status_code == 202, r.text
    members = cloud.compute.get(f"/v2.1/os-server-groups/{group}", headers=member.headers)
    assert members.json()["server_group"]["members"] == [r.json()["server"]["id"]]
    other = cloud.new_user(role="member")
    r = _post(cloud, other.headers, body)
    assert r.status_code == 400


def test_unreachable_conductor_leaves_no_server(cloud, member, image_id, monkeypatch):
    """The caller gets a 503 and no ids, so nothing is left behind (was: servers in ERROR);
    tests/functional/compute/test_failed_casts.py checks quota, ports and the action."""
    from stratus.common import exceptions
    from stratus.rpcapi.conductor import ConductorAPI

    def broken(self: ConductorAPI, *args: Any, **kwargs: Any) -> None:
        raise exceptions.MessagingTimeout("no conductor is listening on rabbit://10.9.9.9:5672")

    monkeypatch.setattr(ConductorAPI, "build_instances", broken)
    r = _post(cloud, member.headers, server_body(image_id, name="orphan"))
    assert r.status_code == 503
    assert "conductor could not be reached" in r.json()["serviceUnavailable"]["message"]
    assert "rabbit://" not in r.text
    r = cloud.compute.get("/v2.1/servers/detail", headers=member.headers)
    assert r.json()["servers"] == []
