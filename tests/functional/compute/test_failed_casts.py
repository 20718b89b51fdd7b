"""A server action whose message cannot be sent (the broker is down) changes nothing.

Before: the task state was committed, the cast raised, and the server stayed in e.g.
``powering-off`` for ever (no host would ever clear it), the caller got a 500. Now the task state
goes back, the instance action shows an ``Error`` event, and the caller gets a 503 that says
nothing was done; the same request works once the bus is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stratus.common import clock, exceptions
from stratus.messaging.bus import Target
from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import (
    action,
    boot,
    show,
    upload_image,
    version,
    wait_for_status,
)

UNREACHABLE = "could not be reached; nothing was done"


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1", "h2"))
    yield cloud
    clock.reset()


class BrokenBus:
    """Makes the cloud's bus refuse every cast (as with the broker down) until ``heal``."""

    def __init__(self, cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cloud = cloud
        self.monkeypatch = monkeypatch
        self.refused: list[str] = []

    def break_(self) -> None:
        def refuse(target: Target, method: str, payload: dict[str, Any]) -> None:
            self.refused.append(method)
            raise exceptions.MessagingError(f"could not send {method}: broker 10.9.8.7 is down")

        self.monkeypatch.setattr(self.cloud.bus, "cast", refuse)

    def heal(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def broken(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> BrokenBus:
    return BrokenBus(cloud, monkeypatch)


def _active(cloud: Cloud, account: Account, image: str) -> dict[str, Any]:
    created = boot(cloud, account.headers, image)
    return wait_for_status(cloud, account.headers, created["id"], "ACTIVE")


def _assert_unavailable(r: Any, service: str = "compute service") -> None:
    assert r.status_code == 503, r.text
    fault = r.json()["serviceUnavailable"]
    assert fault["code"] == 503
    assert f"The {service} {UNREACHABLE}" in fault["message"]
    assert "10.9.8.7" not in r.text


def _error_event(cloud: Cloud, server_id: str, action_name: str, v: str = "2.1") -> dict[str, Any]:
    """The newest ``action_name`` action of the server, with its events (admin view)."""
    admin = {**cloud.admin_headers(), **version(v)}
    r = cloud.compute.get(f"/v2.1/servers/{server_id}/os-instance-actions", headers=admin)
    assert r.status_code == 200, r.text
    found = [a for a in r.json()["instanceActions"] if a["action"] == action_name]
    assert found, r.json()
    request_id = found[0]["request_id"]
    r = cloud.compute.get(
        f"/v2.1/servers/{server_id}/os-instance-actions/{request_id}", headers=admin
    )
    assert r.status_code == 200, r.text
    shown: dict[str, Any] = r.json()["instanceAction"]
    assert shown["message"] == "Error"
    return shown


ACTIONS = [
    ({"os-stop": None}, "stop", "compute service"),
    ({"reboot": {"type": "SOFT"}}, "reboot", "compute service"),
    ({"reboot": {"type": "HARD"}}, "reboot", "compute service"),
    ({"pause": None}, "pause", "compute service"),
    ({"suspend": None}, "suspend", "compute service"),
    ({"resize": {"flavorRef": "2"}}, "resize", "conductor"),
    ({"migrate": None}, "migrate", "conductor"),
]


@pytest.mark.parametrize(("body", "name", "service"), ACTIONS)
def test_failed_cast_reverts_the_task_state(plane, member, image_id, broken, body, name, service):
    server = _active(plane, member, image_id)
    sid = server["id"]
    headers = plane.admin_headers() if name == "migrate" else member.headers
    broken.break_()
    r = action(plane, headers, sid, body)
    _assert_unavailable(r, service)
    assert broken.refused, "the action did not even try to cast"
    shown = show(plane, member.headers, sid)
    assert shown["status"] == "ACTIVE"
    assert shown["OS-EXT-STS:task_state"] is None
    assert shown["OS-EXT-STS:vm_state"] == "active"
    target = "conductor" if service == "conductor" else "compute"
    (event,) = _error_event(plane, sid, name)["events"]
    assert event["event"] == f"api_cast_to_{target}"
    assert event["result"] == "Error"
    assert "10.9.8.7" in event["traceback"]  # the bus's words: admins only
    # nothing is stuck: the same request works once the bus is back
    broken.heal()
    r = action(plane, headers, sid, body)
    assert r.status_code == 202, r.text
    # NOTE: let the work finish before the control plane stops, so no RPC call is cut off
    # mid-way (it would wait out its timeout in the teardown)
    done = {"stop": "SHUTOFF", "pause": "PAUSED", "suspend": "SUSPENDED"}
    wait_for_status(
        plane,
        member.headers,
        sid,
        done.get(name, "VERIFY_RESIZE" if service == "conductor" else "ACTIVE"),
    )


def test_failed_delete_cast_leaves_the_server_usable(plane, member, image_id, broken):
    sid = _active(plane, member, image_id)["id"]
    broken.break_()
    r = plane.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers)
    _assert_unavailable(r)
    shown = show(plane, member.headers, sid)
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    (event,) = _error_event(plane, sid, "delete")["events"]
    assert (event["event"], event["result"]) == ("api_cast_to_compute", "Error")
    broken.heal()
    r = plane.compute.delete(f"/v2.1/servers/{sid}", headers=member.headers)
    assert r.status_code == 204, r.text
    wait_for_status(plane, member.headers, sid, "DELETED")


def test_failed_confirm_resize_cast_can_be_confirmed_again(plane, member, image_id, broken):
    sid = _active(plane, member, image_id)["id"]
    r = action(plane, member.headers, sid, {"resize": {"flavorRef": "2"}})
    assert r.status_code == 202, r.text
    wait_for_status(plane, member.headers, sid, "VERIFY_RESIZE")
    broken.break_()
    r = action(plane, member.headers, sid, {"confirmResize": None})
    _assert_unavailable(r)
    shown = show(plane, member.headers, sid)
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("VERIFY_RESIZE", None)
    broken.heal()
    # the migration is "finished" again, so the confirmation is not refused
    r = action(plane, member.headers, sid, {"confirmResize": None})
    assert r.status_code == 204, r.text
    wait_for_status(plane, member.headers, sid, "ACTIVE")


def test_failed_snapshot_cast_leaves_no_image(plane, member, image_id, broken):
    sid = _active(plane, member, image_id)["id"]
    broken.break_()
    r = action(plane, member.headers, sid, {"createImage": {"name": "snap"}})
    _assert_unavailable(r)
    shown = show(plane, member.headers, sid)
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    images = plane.image.get("/v2/images?name=snap", headers=member.headers).json()["images"]
    assert images == []


def test_failed_rebuild_cast_keeps_the_old_image_name_and_metadata(plane, member, image_id, broken):
    sid = boot(plane, member.headers, image_id, name="old", metadata={"k": "before"})["id"]
    wait_for_status(plane, member.headers, sid, "ACTIVE")
    other = upload_image(plane, plane.admin_headers(), name="other")
    broken.break_()
    body = {"rebuild": {"imageRef": other, "name": "new", "metadata": {"k": "after"}}}
    r = action(plane, member.headers, sid, body)
    _assert_unavailable(r)
    shown = show(plane, member.headers, sid)
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    # nothing was done: the server is still what it was, not half-rebuilt
    assert shown["image"]["id"] == image_id
    assert (shown["name"], shown["metadata"]) == ("old", {"k": "before"})
    broken.heal()
    r = action(plane, member.headers, sid, body)
    assert r.status_code == 202, r.text
    shown = wait_for_status(plane, member.headers, sid, "ACTIVE")
    assert (shown["image"]["id"], shown["name"]) == (other, "new")


def _usage(cloud: Cloud, headers: dict[str, str]) -> dict[str, int]:
    r = cloud.compute.get("/v2.1/limits", headers=headers)
    assert r.status_code == 200, r.text
    absolute = r.json()["limits"]["absolute"]
    return {k: absolute[k] for k in ("totalInstancesUsed", "totalCoresUsed", "totalRAMUsed")}


def test_failed_build_cast_leaves_no_server(cloud, member, image_id, broken):
    admin = cloud.admin_headers()
    quota = {"quota_set": {"instances": 1}}
    r = cloud.compute.put(f"/v2.1/os-quota-sets/{member.project_id}", json=quota, headers=admin)
    assert r.status_code == 200, r.text
    before = _usage(cloud, member.headers)
    broken.break_()
    body = {"server": {"name": "orphan", "imageRef": image_id, "flavorRef": "1"}}
    r = cloud.compute.post("/v2.1/servers", json=body, headers=member.headers)
    _assert_unavailable(r, "conductor")
    assert broken.refused == ["build_instances"]
    r = cloud.compute.get("/v2.1/servers/detail", headers=member.headers)
    assert r.json()["servers"] == []
    assert _usage(cloud, member.headers) == before
    ports = cloud.network.get("/v2.0/ports?device_owner=compute:nova", headers=member.headers)
    assert ports.json()["ports"] == []
    # admins find the deleted server and why: its create action failed to reach the conductor
    r = cloud.compute.get("/v2.1/servers/detail?deleted=true&all_tenants=1", headers=admin)
    (gone,) = [s for s in r.json()["servers"] if s["name"] == "orphan"]
    (event,) = _error_event(cloud, gone["id"], "create", v="2.21")["events"]
    assert (event["event"], event["result"]) == ("api_cast_to_conductor", "Error")
    # the quota it held is free again: a quota of one instance still fits one server
    broken.heal()
    r = cloud.compute.post("/v2.1/servers", json=body, headers=member.headers)
    assert r.status_code == 202, r.text
