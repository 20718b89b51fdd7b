"""The whole control plane in-process (API, conductor, scheduler, two fake compute agents):
every server action a user can take, seen through the compute API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stratus.cmd.compute import ComputeService
from stratus.common.config import Config
from stratus.virt.fake import FakeDriver
from tests.fixtures.cloud import Cloud, make_config
from tests.fixtures.waiting import wait_until

MV = {"OpenStack-API-Version": "compute 2.79", "X-OpenStack-Nova-API-Version": "2.79"}


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str) -> Config:
    return make_config(
        tmp_path / "state",
        db_url,
        # NOTE: ten heartbeats' slack before a busy agent counts as down (Nova's default ratio
        # is 6); "dead agent goes down" waits that long.
        DEFAULT={"report_interval": 1, "service_down_time": 10},
        compute={"sync_power_state_interval": 1},
    )


class Api:
    """A user's view: boot, act, wait."""

    def __init__(self, cloud: Cloud) -> None:
        self.cloud = cloud
        self.headers = {**cloud.admin_headers(), **MV}
        self.image_id = self._image()

    def _image(self) -> str:
        r = self.cloud.image.post(
            "/v2/images",
            json={"name": "base", "disk_format": "raw", "container_format": "bare"},
            headers=self.headers,
        )
        assert r.status_code == 201, r.text
        image_id = str(r.json()["id"])
        r = self.cloud.image.put(
            f"/v2/images/{image_id}/file",
            content=b"\0" * 4096,
            headers={**self.headers, "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 204, r.text
        return image_id

    def boot(self, name: str = "vm", flavor: str = "1", **extra: Any) -> str:
        body = {"name": name, "imageRef": self.image_id, "flavorRef": flavor, "networks": "none"}
        body.update(extra)
        r = self.cloud.compute.post("/v2.1/servers", json={"server": body}, headers=self.headers)
        assert r.status_code == 202, r.text
        return str(r.json()["server"]["id"])

    def show(self, server_id: str) -> dict[str, Any]:
        r = self.cloud.compute.get(f"/v2.1/servers/{server_id}", headers=self.headers)
        assert r.status_code == 200, r.text
        return dict(r.json()["server"])

    def action(self, server_id: str, body: dict[str, Any], status: int = 202) -> Any:
        r = self.cloud.compute.post(
            f"/v2.1/servers/{server_id}/action", json=body, headers=self.headers
        )
        assert r.status_code == status, r.text
        return r.json() if r.content else None

    def wait(self, server_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            server = self.show(server_id)
            assert server["status"] != "ERROR" or status == "ERROR", server.get("fault")
            done = server["status"] == status and server["OS-EXT-STS:task_state"] is None
            return server if done else None

        return wait_until(reached, timeout, f"server {server_id} {status}", step=0.05)


def _agent(cloud: Cloud, host: str) -> ComputeService:
    [agent] = [s for s in cloud.services if s.name == f"stratus-compute:{host}"]
    assert isinstance(agent, ComputeService)
    return agent


def _driver(cloud: Cloud, host: str) -> FakeDriver:
    driver = _agent(cloud, host).env.driver
    assert isinstance(driver, FakeDriver)
    return driver


def _until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    wait_until(check, timeout, what, step=0.05)


@pytest.fixture
def api(cloud: Cloud) -> Api:
    cloud.start_control_plane(hosts=("h1", "h2"))
    return Api(cloud)


def test_boot_and_every_power_action(cloud: Cloud, api: Api) -> None:
    sid = api.boot()
    server = api.wait(sid, "ACTIVE")
    host = server["OS-EXT-SRV-ATTR:host"]
    assert host in ("h1", "h2")
    assert server["OS-EXT-STS:power_state"] == 1
    assert sid in _driver(cloud, host).list_instance_uuids()
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
        api.action(sid, body)
        server = api.wait(sid, status)
        assert server["OS-EXT-STS:power_state"] == power, body
        vm = _driver(cloud, host).vm(sid)
        assert vm is not None and vm.power_state == power, body


def test_instance_actions_carry_events_with_the_request_id(cloud: Cloud, api: Api) -> None:
    sid = api.boot()
    api.wait(sid, "ACTIVE")
    api.action(sid, {"os-stop": None})
    api.wait(sid, "SHUTOFF")
    r = cloud.compute.get(f"/v2.1/servers/{sid}/os-instance-actions", headers=api.headers)
    assert r.status_code == 200, r.text
    actions = {a["action"]: a for a in r.json()["instanceActions"]}
    assert {"create", "stop"} <= set(actions)
    stop = actions["stop"]
    r = cloud.compute.get(
        f"/v2.1/servers/{sid}/os-instance-actions/{stop['request_id']}", headers=api.headers
    )
    events = r.json()["instanceAction"]["events"]
    assert [(e["event"], e["result"]) for e in events] == [("compute_stop_instance", "Success")]


def test_resize_confirm_and_revert(cloud: Cloud, api: Api) -> None:
    sid = api.boot(flavor="1")
    api.wait(sid, "ACTIVE")
    api.action(sid, {"resize": {"flavorRef": "2"}})
    server = api.wait(sid, "VERIFY_RESIZE")
    assert server["flavor"]["original_name"] == "m1.small"
    api.action(sid, {"confirmResize": None}, status=204)
    server = api.wait(sid, "ACTIVE")
    assert server["flavor"]["original_name"] == "m1.small"
    host = server["OS-EXT-SRV-ATTR:host"]
    vm = _driver(cloud, host).vm(sid)
    assert vm is not None and vm.flavor.name == "m1.small"
    for other in {"h1", "h2"} - {host}:
        assert sid not in _driver(cloud, other).list_instance_uuids()

    api.action(sid, {"resize": {"flavorRef": "3"}})
    api.wait(sid, "VERIFY_RESIZE")
    api.action(sid, {"revertResize": None})
    server = api.wait(sid, "ACTIVE")
    assert server["flavor"]["original_name"] == "m1.small"
    assert server["OS-EXT-SRV-ATTR:host"] == host
    vm = _driver(cloud, host).vm(sid)
    assert vm is not None and vm.flavor.name == "m1.small" and vm.power_state == 1


def test_cold_migrate_moves_the_server_to_the_other_host(cloud: Cloud, api: Api) -> None:
    sid = api.boot()
    source = api.wait(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    api.action(sid, {"migrate": None})
    api.wait(sid, "VERIFY_RESIZE")
    api.action(sid, {"confirmResize": None}, status=204)
    server = api.wait(sid, "ACTIVE")
    dest = server["OS-EXT-SRV-ATTR:host"]
    assert dest != source
    assert _driver(cloud, source).list_instance_uuids() == []
    assert _driver(cloud, dest).list_instance_uuids() == [sid]


def test_resize_of_a_stopped_server_keeps_it_stopped(cloud: Cloud, api: Api) -> None:
    sid = api.boot()
    api.wait(sid, "ACTIVE")
    api.action(sid, {"os-stop": None})
    api.wait(sid, "SHUTOFF")
    api.action(sid, {"resize": {"flavorRef": "2"}})
    api.wait(sid, "VERIFY_RESIZE")
    api.action(sid, {"confirmResize": None}, status=204)
    server = api.wait(sid, "SHUTOFF")
    assert server["flavor"]["original_name"] == "m1.small"


def test_boot_on_the_default_network_plugs_its_port(cloud: Cloud, api: Api) -> None:
    sid = api.boot(networks="auto")
    server = api.wait(sid, "ACTIVE")
    [address] = server["addresses"]["private"]
    out = api.action(sid, {"os-getConsoleOutput": {}}, status=200)["output"]
    assert f"address {address['OS-EXT-IPS-MAC:mac_addr']}" in out


def test_snapshot_becomes_an_active_image(cloud: Cloud, api: Api) -> None:
    sid = api.boot()
    api.wait(sid, "ACTIVE")
    answer = api.action(sid, {"createImage": {"name": "snap-1"}})
    image_id = answer["image_id"]

    def uploaded() -> dict[str, Any] | None:
        image: dict[str, Any] = cloud.image.get(
            f"/v2/images/{image_id}", headers=api.headers
        ).json()
        assert image["status"] in ("queued", "saving", "active"), image
        return image if image["status"] == "active" else None

    image = wait_until(uploaded, 30, f"snapshot {image_id} to become active", step=0.05)
    assert (image["disk_format"], image["container_format"]) == ("raw", "bare")
    assert image["size"] == 64 * 1024
    assert image["name"] == "snap-1"
    api.wait(sid, "ACTIVE")
    data = cloud.image.get(f"/v2/images/{image_id}/file", headers=api.headers)
    assert data.content.startswith(b"STRATUS FAKE DISK\ninstance=" + sid.encode())


def test_rebuild_console_and_delete(cloud: Cloud, api: Api) -> None:
    sid = api.boot(name="web")
    server = api.wait(sid, "ACTIVE")
    host = server["OS-EXT-SRV-ATTR:host"]
    api.action(sid, {"rebuild": {"imageRef": api.image_id}})
    server = api.wait(sid, "ACTIVE")
    assert server["image"]["id"] == api.image_id
    out = api.action(sid, {"os-getConsoleOutput": {"length": 5}}, status=200)["output"]
    assert "web login:" in out and len(out.strip().split("\n")) <= 5
    r = cloud.compute.delete(f"/v2.1/servers/{sid}", headers=api.headers)
    assert r.status_code == 204
    _until(
        lambda: cloud.compute.get(f"/v2.1/servers/{sid}", headers=api.headers).status_code == 404,
        f"server {sid} to be gone",
    )
    assert sid not in _driver(cloud, host).list_instance_uuids()


def test_build_failure_on_every_host_ends_in_error_saying_why(cloud: Cloud, api: Api) -> None:
    sid = api.boot(metadata={"fake:fail_build": "*"})
    server = api.wait(sid, "ERROR")
    assert "build failure injected" in server["fault"]["message"]


def test_build_failure_on_one_host_is_rescheduled(cloud: Cloud, api: Api) -> None:
    sid = api.boot(metadata={"fake:fail_build": "h1"})
    server = api.wait(sid, "ACTIVE")
    assert server["OS-EXT-SRV-ATTR:host"] == "h2"


def test_guest_stopped_outside_stratus_shows_shutoff(cloud: Cloud, api: Api) -> None:
    sid = api.boot()
    host = api.wait(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"]
    _driver(cloud, host).external_stop(sid)
    server = api.wait(sid, "SHUTOFF")  # sync_power_state_interval is 1 s
    assert server["OS-EXT-STS:power_state"] == 4
    api.action(sid, {"os-start": None})
    api.wait(sid, "ACTIVE")


def test_hosts_report_their_fake_hypervisors(cloud: Cloud, api: Api) -> None:
    r = cloud.compute.get("/v2.1/os-hypervisors/detail", headers=api.headers)
    assert r.status_code == 200, r.text
    hypervisors = {h["hypervisor_hostname"]: h for h in r.json()["hypervisors"]}
    assert set(hypervisors) == {"h1", "h2"}
    h1 = hypervisors["h1"]
    assert (h1["hypervisor_type"], h1["state"], h1["status"]) == ("fake", "up", "enabled")
    r = cloud.compute.get(f"/v2.1/os-hypervisors/{h1['id']}/uptime", headers=api.headers)
    assert r.status_code == 200, r.text
    assert "load average" in r.json()["hypervisor"]["uptime"]


def _compute_state(cloud: Cloud, api: Api, host: str) -> str:
    r = cloud.compute.get(
        f"/v2.1/os-services?binary=stratus-compute&host={host}", headers=api.headers
    )
    assert r.status_code == 200, r.text
    [service] = r.json()["services"]
    return str(service["state"])


def test_dead_agent_goes_down_and_new_servers_go_elsewhere(cloud: Cloud, api: Api) -> None:
    assert _compute_state(cloud, api, "h1") == "up"
    next(s for s in cloud.services if s.name == "stratus-compute:h1").stop()
    down_time = cloud.cfg.default.service_down_time
    _until(lambda: _compute_state(cloud, api, "h1") == "down", "h1 down", timeout=down_time + 30)
    assert _compute_state(cloud, api, "h2") == "up"
    for n in range(3):
        sid = api.boot(name=f"after-{n}")
        assert api.wait(sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "h2"
