"""End to end through the whole control plane (API → conductor → scheduler → compute agents
with the fake driver): boot, power actions, resize, migrate, snapshot, rebuild, delete."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stratus.common import clock
from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import (
    action,
    boot,
    show,
    upload_image,
    version,
    wait_for_image,
    wait_for_status,
)


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1", "h2"))
    yield cloud
    clock.reset()


def _active(cloud: Cloud, account: Account, image: str, **extra: Any) -> dict[str, Any]:
    created = boot(cloud, account.headers, image, **extra)
    return wait_for_status(cloud, account.headers, created["id"], "ACTIVE")


def _ok(r: Any, code: int = 202) -> None:
    assert r.status_code == code, r.text


def _ports(cloud: Cloud, server_id: str) -> list[dict[str, Any]]:
    r = cloud.network.get(f"/v2.0/ports?device_id={server_id}", headers=cloud.admin_headers())
    assert r.status_code == 200, r.text
    return list(r.json()["ports"])


def test_boot_to_active_with_addresses(plane, member, image_id):
    server = _active(plane, member, image_id, name="web")
    assert server["OS-EXT-STS:power_state"] == 1
    assert server["OS-SRV-USG:launched_at"] is not None
    assert len(server["hostId"]) == 56
    (address,) = server["addresses"]["private"]
    assert address["version"] == 4
    assert address["addr"].startswith("10.0.0.")
    assert address["OS-EXT-IPS:type"] == "fixed"
    assert address["OS-EXT-IPS-MAC:mac_addr"].startswith("fa:16:3e:")
    admin = show(plane, plane.admin_headers(), server["id"], "2.16")
    assert admin["OS-EXT-SRV-ATTR:host"] in ("h1", "h2")
    assert admin["host_status"] == "UP"
    ips = plane.compute.get(f"/v2.1/servers/{server['id']}/ips", headers=member.headers)
    assert ips.json() == {"addresses": {"private": [{"version": 4, "addr": address["addr"]}]}}
    one = plane.compute.get(f"/v2.1/servers/{server['id']}/ips/private", headers=member.headers)
    assert one.json() == {"private": [{"version": 4, "addr": address["addr"]}]}
    r = plane.compute.get(f"/v2.1/servers/{server['id']}/ips/public", headers=member.headers)
    assert r.status_code == 404
    listed = plane.compute.get(f"/v2.1/servers?ip={address['addr']}$", headers=member.headers)
    assert [s["id"] for s in listed.json()["servers"]] == [server["id"]]


def test_power_actions(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    steps = [
        ({"os-stop": None}, "SHUTOFF", 4),
        ({"os-start": None}, "ACTIVE", 1),
        ({"reboot": {"type": "SOFT"}}, "ACTIVE", 1),
        ({"reboot": {"type": "HARD"}}, "ACTIVE", 1),
        ({"pause": None}, "PAUSED", 3),
        ({"unpause": None}, "ACTIVE", 1),
        ({"suspend": None}, "SUSPENDED", 7),
        ({"resume": None}, "ACTIVE", 1),
    ]
    for body, status, power in steps:
        _ok(action(plane, member.headers, sid, body))
        server = wait_for_status(plane, member.headers, sid, status)
        assert server["OS-EXT-STS:power_state"] == power, body
    actions = plane.compute.get(
        f"/v2.1/servers/{sid}/os-instance-actions", headers=member.headers
    ).json()["instanceActions"]
    assert [a["action"] for a in reversed(actions)] == [
        "create", "stop", "start", "reboot", "reboot", "pause", "unpause", "suspend", "resume",
    ]  # fmt: skip
    stop = actions[-2]
    events = plane.compute.get(
        f"/v2.1/servers/{sid}/os-instance-actions/{stop['request_id']}",
        headers=plane.admin_headers(),
    ).json()["instanceAction"]["events"]
    assert events, "the compute agent records events under the request id"
    assert all(e["result"] == "Success" for e in events)


def test_resize_confirm_and_revert(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    _ok(action(plane, member.headers, sid, {"resize": {"flavorRef": "2"}}))
    server = wait_for_status(plane, member.headers, sid, "VERIFY_RESIZE")
    assert server["flavor"]["id"] == "2"
    _ok(action(plane, member.headers, sid, {"confirmResize": None}), 204)
    server = wait_for_status(plane, member.headers, sid, "ACTIVE")
    assert show(plane, member.headers, sid, "2.47")["flavor"]["original_name"] == "m1.small"
    _ok(action(plane, member.headers, sid, {"resize": {"flavorRef": "3"}}))
    wait_for_status(plane, member.headers, sid, "VERIFY_RESIZE")
    _ok(action(plane, member.headers, sid, {"revertResize": None}))
    wait_for_status(plane, member.headers, sid, "ACTIVE")
    assert show(plane, member.headers, sid, "2.47")["flavor"]["original_name"] == "m1.small"
    r = action(plane, member.headers, sid, {"resize": {"flavorRef": "2"}})
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == "When resizing, instances must change flavor!"
    r = action(plane, member.headers, sid, {"resize": {"flavorRef": "999"}})
    assert r.status_code == 400


def test_cold_migrate_moves_the_server(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    admin = plane.admin_headers()
    before = show(plane, admin, sid)["OS-EXT-SRV-ATTR:host"]
    _ok(action(plane, admin, sid, {"migrate": None}))
    wait_for_status(plane, admin, sid, "VERIFY_RESIZE")
    _ok(action(plane, admin, sid, {"confirmResize": None}), 204)
    after = wait_for_status(plane, admin, sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    assert after != before


def test_snapshot_becomes_an_active_image(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    r = action(plane, member.headers, sid, {"createImage": {"name": "snap"}}, v="2.45")
    _ok(r)
    snapshot = r.json()["image_id"]
    wait_for_status(plane, member.headers, sid, "ACTIVE")
    image = wait_for_image(plane, member.headers, snapshot)
    assert image["owner"] == member.project_id
    assert image["image_type"] == "snapshot"
    assert image["instance_uuid"] == sid
    r = action(plane, member.headers, sid, {"createImage": {"name": "old-style"}})
    _ok(r)
    assert "/images/" in r.headers["location"]


def test_rebuild_keeps_the_power_state(plane, member, image_id):
    other = upload_image(plane, plane.admin_headers(), name="other")
    sid = _active(plane, member, image_id)["id"]
    r = action(plane, member.headers, sid, {"rebuild": {"imageRef": other, "name": "rebuilt"}})
    _ok(r)
    body = r.json()["server"]
    assert body["image"]["id"] == other
    assert body["name"] == "rebuilt"
    assert "adminPass" in body
    server = wait_for_status(plane, member.headers, sid, "ACTIVE")
    assert server["image"]["id"] == other
    _ok(action(plane, member.headers, sid, {"os-stop": None}))
    wait_for_status(plane, member.headers, sid, "SHUTOFF")
    _ok(action(plane, member.headers, sid, {"rebuild": {"imageRef": image_id}}))
    server = wait_for_status(plane, member.headers, sid, "SHUTOFF")
    assert server["image"]["id"] == image_id


def test_console_output_and_consoles(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    r = action(plane, member.headers, sid, {"os-getConsoleOutput": {"length": -1}})
    _ok(r, 200)
    full = r.json()["output"]
    assert full
    r = action(plane, member.headers, sid, {"os-getConsoleOutput": {"length": 1}})
    assert len(r.json()["output"].splitlines()) <= 1
    r = action(plane, member.headers, sid, {"os-getVNCConsole": {"type": "novnc"}})
    _ok(r, 200)  # the fake driver has (socket paths for) VNC consoles: test_remote_consoles.py
    assert "/vnc_auto.html?path=%3Ftoken%3D" in r.json()["console"]["url"]
    r = action(plane, member.headers, sid, {"changePassword": {"adminPass": "x"}})
    assert r.status_code == 501


def test_security_group_actions(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    r = plane.network.post(
        "/v2.0/security-groups", json={"security_group": {"name": "web"}}, headers=member.headers
    )
    assert r.status_code == 201, r.text
    _ok(action(plane, member.headers, sid, {"addSecurityGroup": {"name": "web"}}))
    groups = {g["name"] for g in show(plane, member.headers, sid)["security_groups"]}
    assert groups == {"default", "web"}
    _ok(action(plane, member.headers, sid, {"removeSecurityGroup": {"name": "default"}}))
    _ok(action(plane, member.headers, sid, {"removeSecurityGroup": {"name": "web"}}))
    assert "security_groups" not in show(plane, member.headers, sid)
    r = action(plane, member.headers, sid, {"addSecurityGroup": {"name": "nope"}})
    assert r.status_code == 404


def test_delete_frees_ports(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    assert len(_ports(plane, sid)) == 1
    _ok(plane.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers), 204)
    wait_for_status(plane, member.headers, sid, "DELETED")
    assert _ports(plane, sid) == []
    deleted = plane.compute.get(
        "/v2.1/servers/detail?changes-since=2000-01-01T00:00:00Z", headers=member.headers
    ).json()["servers"]
    assert [(s["id"], s["status"]) for s in deleted] == [(sid, "DELETED")]


def test_delete_while_verify_resize(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    _ok(action(plane, member.headers, sid, {"resize": {"flavorRef": "2"}}))
    wait_for_status(plane, member.headers, sid, "VERIFY_RESIZE")
    _ok(plane.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers), 204)
    wait_for_status(plane, member.headers, sid, "DELETED")
    assert _ports(plane, sid) == []


def test_delete_on_a_dead_host_is_local(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    admin = plane.admin_headers()
    host = show(plane, admin, sid)["OS-EXT-SRV-ATTR:host"]
    for service in list(plane.services):
        if getattr(service, "host", None) == host or host in str(getattr(service, "name", "")):
            service.stop()
    clock.advance(plane.cfg.default.service_down_time + 5)
    assert show(plane, admin, sid, "2.16")["host_status"] == "DOWN"
    r = action(plane, member.headers, sid, {"os-stop": None})
    assert r.status_code == 409
    _ok(plane.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers), 204)
    assert plane.compute.get(f"/v2.1/servers/{sid}", headers=member.headers).status_code == 404
    assert _ports(plane, sid) == []


def test_member_of_other_project_cannot_touch(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    other = plane.new_user(role="member")
    r = action(plane, other.headers, sid, {"os-stop": None})
    assert r.status_code == 404
    r = plane.compute.get(f"/v2.1/servers/{sid}/ips", headers={**other.headers, **version("2.1")})
    assert r.status_code == 404


def test_backups_rotate(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    made = []
    for n in range(3):
        body = {"createBackup": {"name": f"b{n}", "backup_type": "daily", "rotation": 2}}
        r = action(plane, member.headers, sid, body, v="2.45")
        _ok(r)
        made.append(r.json()["image_id"])
        image = wait_for_image(plane, member.headers, made[-1])
        assert image["image_type"] == "backup"
        assert image["backup_type"] == "daily"
        wait_for_status(plane, member.headers, sid, "ACTIVE")
    r = plane.image.get(
        f"/v2/images?instance_uuid={sid}&image_type=backup&sort_key=created_at&sort_dir=asc",
        headers=member.headers,
    )
    assert [i["id"] for i in r.json()["images"]] == made[1:]
    r = action(plane, member.headers, sid, {"createBackup": {"name": "x", "backup_type": "d"}})
    assert r.status_code == 400  # rotation is required


def test_inject_network_info_is_admin_only(plane, member, image_id):
    sid = _active(plane, member, image_id)["id"]
    assert action(plane, member.headers, sid, {"injectNetworkInfo": None}).status_code == 403
    _ok(action(plane, plane.admin_headers(), sid, {"injectNetworkInfo": None}))
