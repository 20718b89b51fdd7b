"""POST /servers/{id}/action without compute hosts: dispatch, validation, policy, lock and
state checks, and the instance-action records they leave."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.api.compute.server_action_handlers import ACTIONS
from stratus.api.compute.server_action_registry import ServerAction
from tests.fixtures.cloud import Cloud
from tests.functional.compute.servers_helpers import (
    action,
    boot,
    reset_state,
    show,
)

MISSING = "6d9d3f36-8ff5-4f73-a1a5-5ff51db0d9b7"


def _actions(cloud: Cloud, headers: dict[str, str], server_id: str) -> list[dict[str, Any]]:
    r = cloud.compute.get(f"/v2.1/servers/{server_id}/os-instance-actions", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["instanceActions"])


def test_registry_refuses_duplicates():
    existing = ACTIONS["os-stop"]
    with pytest.raises(ValueError, match="registered twice"):
        ACTIONS.register(
            ServerAction("os-stop", existing.policy, existing.schema, existing.handler)
        )


def test_every_documented_action_is_registered():
    assert {
        "os-start", "os-stop", "reboot", "pause", "unpause", "suspend", "resume", "resize",
        "confirmResize", "revertResize", "rebuild", "createImage", "lock", "unlock",
        "os-resetState", "migrate", "os-getConsoleOutput", "changePassword", "forceDelete",
        "restore", "addSecurityGroup", "removeSecurityGroup", "os-getVNCConsole", "createBackup",
        "injectNetworkInfo",
    } <= set(ACTIONS)  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"noSuchAction": None},
        {},
        {"reboot": {}},
        {"reboot": {"type": "GENTLE"}},
        {"resize": {}},
        {"resize": {"flavorRef": "2", "extra": 1}},
        {"os-resetState": {"state": "paused"}},
        {"createImage": {}},
        {"os-getConsoleOutput": {"length": "ten"}},
        {"lock": {"locked_reason": "before 2.73"}},
        {"rebuild": {"name": "no image"}},
        {"os-stop": {"force": True}},
    ],
    ids=lambda b: next(iter(b), "empty"),
)
def test_bad_action_bodies_are_400(cloud, member, image_id, body):
    created = boot(cloud, member.headers, image_id)
    r = action(cloud, member.headers, created["id"], body)
    assert r.status_code == 400, r.text
    assert r.json()["badRequest"]["message"]


def test_unknown_action_message(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    r = action(cloud, member.headers, created["id"], {"fly": None})
    assert r.json()["badRequest"]["message"] == "There is no such action: fly"


def test_actions_on_missing_servers_are_404(cloud, member):
    for body in ({"os-stop": None}, {"reboot": {"type": "HARD"}}, {"resize": {"flavorRef": "2"}}):
        r = action(cloud, member.headers, MISSING, body)
        assert r.status_code == 404, body
    r = cloud.compute.delete(f"/v2.1/servers/{MISSING}", headers=member.headers)
    assert r.status_code == 404


def test_admin_actions_are_403_for_members(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    r = action(cloud, member.headers, created["id"], {"os-resetState": {"state": "active"}})
    assert r.status_code == 403
    assert "os_compute_api:os-admin-actions:reset_state" in r.json()["forbidden"]["message"]
    r = action(cloud, member.headers, created["id"], {"migrate": None})
    assert r.status_code == 403
    assert show(cloud, member.headers, created["id"])["status"] == "BUILD"


def test_state_checks_are_409_with_nova_messages(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    sid = created["id"]
    r = action(cloud, member.headers, sid, {"os-stop": None})
    assert r.status_code == 409
    assert r.json()["conflictingRequest"]["message"] == (
        f"Cannot 'stop' instance {sid} while it is in vm_state building"
    )
    reset_state(cloud, sid, "active")
    r = action(cloud, member.headers, sid, {"os-start": None})
    assert r.json()["conflictingRequest"]["message"] == (
        f"Cannot 'start' instance {sid} while it is in vm_state active"
    )
    for body in ({"unpause": None}, {"resume": None}, {"confirmResize": None},
                 {"revertResize": None}, {"restore": None}):  # fmt: skip
        r = action(cloud, member.headers, sid, body)
        assert r.status_code == 409, body
    # right state, but the server never reached a host
    r = action(cloud, member.headers, sid, {"os-stop": None})
    assert r.status_code == 409
    assert r.json()["conflictingRequest"]["message"] == f"Instance {sid} is not ready"
    r = action(cloud, member.headers, sid, {"os-getConsoleOutput": {"length": 5}})
    assert r.status_code == 409


def test_lock_blocks_members_until_unlocked(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    sid = created["id"]
    reset_state(cloud, sid, "active")
    r = action(cloud, member.headers, sid, {"lock": {"locked_reason": "maintenance"}}, v="2.73")
    assert r.status_code == 202
    server = show(cloud, member.headers, sid, "2.73")
    assert server["locked"] is True
    assert server["locked_reason"] == "maintenance"
    r = action(cloud, member.headers, sid, {"os-stop": None})
    assert r.status_code == 409
    assert r.json()["conflictingRequest"]["message"] == f"Instance {sid} is locked"
    assert cloud.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers).status_code == 409
    assert action(cloud, member.headers, sid, {"unlock": None}).status_code == 202
    assert show(cloud, member.headers, sid, "2.73")["locked"] is False
    # locked by an admin: the member may not unlock it
    assert action(cloud, cloud.admin_headers(), sid, {"lock": None}).status_code == 202
    assert action(cloud, member.headers, sid, {"unlock": None}).status_code == 403
    assert action(cloud, cloud.admin_headers(), sid, {"unlock": None}).status_code == 202


def test_force_delete_deletes(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    r = action(cloud, member.headers, created["id"], {"forceDelete": None})
    assert r.status_code == 202
    r = cloud.compute.get(f"/v2.1/servers/{created['id']}", headers=member.headers)
    assert r.status_code == 404


def test_change_password_of_a_building_server_is_409(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    r = action(cloud, member.headers, created["id"], {"changePassword": {"adminPass": "x"}})
    assert r.status_code == 409


def test_remote_console_needs_2_6(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    url = f"/v2.1/servers/{created['id']}/remote-consoles"
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    r = cloud.compute.post(url, json=body, headers=member.headers)
    assert r.status_code == 404
    r = cloud.compute.post(
        url, json=body, headers={**member.headers, "OpenStack-API-Version": "compute 2.6"}
    )
    assert r.status_code == 409  # not on a host yet


def test_instance_actions_record_who_did_what(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    sid = created["id"]
    reset_state(cloud, sid, "active")
    r = action(cloud, member.headers, sid, {"lock": None})
    lock_request = r.headers["x-openstack-request-id"]
    actions = _actions(cloud, member.headers, sid)
    assert [a["action"] for a in actions] == ["lock", "create"]
    assert actions[0]["request_id"] == lock_request
    assert actions[0]["user_id"] == member.user_id
    assert actions[0]["project_id"] == member.project_id
    assert set(actions[0]) == {
        "action", "instance_uuid", "message", "project_id", "request_id", "start_time", "user_id"
    }  # fmt: skip
    r = cloud.compute.get(
        f"/v2.1/servers/{sid}/os-instance-actions/{lock_request}", headers=member.headers
    )
    assert r.status_code == 200
    shown = r.json()["instanceAction"]
    assert shown["action"] == "lock"
    assert "events" not in shown  # members see events from 2.51
    r = cloud.compute.get(
        f"/v2.1/servers/{sid}/os-instance-actions/{lock_request}",
        headers={**member.headers, "OpenStack-API-Version": "compute 2.58"},
    )
    assert r.json()["instanceAction"]["events"] == []
    assert "updated_at" in r.json()["instanceAction"]
    r = cloud.compute.get(
        f"/v2.1/servers/{sid}/os-instance-actions/req-nope", headers=member.headers
    )
    assert r.status_code == 404
    other = cloud.new_user(role="member")
    r = cloud.compute.get(f"/v2.1/servers/{sid}/os-instance-actions", headers=other.headers)
    assert r.status_code == 404


def test_instance_action_paging_from_2_58(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    sid = created["id"]
    reset_state(cloud, sid, "active")
    for _ in range(2):
        action(cloud, member.headers, sid, {"lock": None})
        action(cloud, member.headers, sid, {"unlock": None})
    h = {**member.headers, "OpenStack-API-Version": "compute 2.58"}
    r = cloud.compute.get(f"/v2.1/servers/{sid}/os-instance-actions?limit=2", headers=h)
    body = r.json()
    assert [a["action"] for a in body["instanceActions"]] == ["unlock", "lock"]
    assert body["links"][0]["rel"] == "next"
    marker = body["instanceActions"][-1]["request_id"]
    r = cloud.compute.get(f"/v2.1/servers/{sid}/os-instance-actions?marker={marker}", headers=h)
    assert [a["action"] for a in r.json()["instanceActions"]] == ["unlock", "lock", "create"]


def test_deleted_server_actions_are_readable_from_2_21(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    sid = created["id"]
    assert cloud.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers).status_code == 204
    url = f"/v2.1/servers/{sid}/os-instance-actions"
    assert cloud.compute.get(url, headers=member.headers).status_code == 404
    r = cloud.compute.get(url, headers={**member.headers, "OpenStack-API-Version": "compute 2.21"})
    assert r.status_code == 200
    assert sorted(a["action"] for a in r.json()["instanceActions"]) == ["create", "delete"]
    other = cloud.new_user(role="member")
    r = cloud.compute.get(url, headers={**other.headers, "OpenStack-API-Version": "compute 2.21"})
    assert r.status_code == 404


def test_server_password_is_empty_until_a_guest_sets_one(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id)
    url = f"/v2.1/servers/{created['id']}/os-server-password"
    r = cloud.compute.get(url, headers=member.headers)
    assert r.status_code == 200
    assert r.json() == {"password": ""}
    assert cloud.compute.delete(url, headers=member.headers).status_code == 204
    other = cloud.new_user(role="member")
    assert cloud.compute.get(url, headers=other.headers).status_code == 404
