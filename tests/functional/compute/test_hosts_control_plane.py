"""Services, hypervisors, zones and server groups with the real control plane running:
heartbeats fill ``os-services``, disabling a compute service stops scheduling to it, usage shows
on the hypervisor, aggregates steer servers into zones, groups record their members."""

from __future__ import annotations

from typing import Any

from tests.fixtures.cloud import Cloud
from tests.fixtures.waiting import wait_until
from tests.functional.compute.basics_helpers import mv
from tests.functional.compute.servers_helpers import boot, show, wait_for_status


def _services(cloud: Cloud, query: str = "") -> list[dict[str, Any]]:
    r = cloud.compute.get(f"/v2.1/os-services{query}", headers=mv(cloud.admin_headers(), "2.53"))
    assert r.status_code == 200, r.text
    return list(r.json()["services"])


def _wait_for_services(cloud: Cloud, count: int) -> list[dict[str, Any]]:
    def registered() -> list[dict[str, Any]] | None:
        found = _services(cloud)
        return found if len(found) >= count else None

    return wait_until(registered, 30, f"{count} services to register", step=0.05)


def _set_status(cloud: Cloud, host: str, body: dict[str, Any]) -> None:
    svc = _services(cloud, f"?host={host}&binary=stratus-compute")[0]
    r = cloud.compute.put(
        f"/v2.1/os-services/{svc['id']}", json=body, headers=mv(cloud.admin_headers(), "2.53")
    )
    assert r.status_code == 200, r.text


def _host_of(cloud: Cloud, server_id: str) -> str:
    return str(show(cloud, cloud.admin_headers(), server_id)["OS-EXT-SRV-ATTR:host"])


def test_heartbeats_and_disabled_host_gets_no_servers(cloud: Cloud, image_id: str) -> None:
    cloud.start_control_plane(hosts=("h1", "h2"))
    found = _wait_for_services(cloud, 4)
    zones = {(s["host"], s["binary"]): (s["zone"], s["state"]) for s in found}
    assert zones[("h1", "stratus-compute")] == ("nova", "up")
    assert zones[("h2", "stratus-compute")] == ("nova", "up")
    assert {s["binary"] for s in found} >= {"stratus-conductor", "stratus-scheduler"}
    assert all(s["zone"] == "internal" for s in found if s["binary"] != "stratus-compute")
    _set_status(cloud, "h1", {"status": "disabled", "disabled_reason": "maintenance"})
    admin = cloud.admin_headers()
    servers = [boot(cloud, admin, image_id)["id"] for _ in range(2)]
    for server_id in servers:
        wait_for_status(cloud, admin, server_id, "ACTIVE")
        assert _host_of(cloud, server_id) == "h2"
    hyps = cloud.compute.get(
        "/v2.1/os-hypervisors/detail?with_servers=true", headers=mv(admin, "2.53")
    ).json()["hypervisors"]
    by_name = {h["hypervisor_hostname"]: h for h in hyps}
    assert by_name["h1"]["status"] == "disabled" and by_name["h1"]["running_vms"] == 0
    assert by_name["h2"]["running_vms"] == 2 and by_name["h2"]["vcpus_used"] == 2
    assert sorted(s["uuid"] for s in by_name["h2"]["servers"]) == sorted(servers)
    r = cloud.compute.get(
        f"/v2.1/os-hypervisors/{by_name['h2']['id']}/uptime", headers=mv(admin, "2.53")
    )
    assert r.status_code == 200 and r.json()["hypervisor"]["uptime"]
    stats = cloud.compute.get("/v2.1/os-hypervisors/statistics", headers=admin).json()
    assert stats["hypervisor_statistics"]["count"] == 1  # the disabled host is left out
    # with every compute service disabled, a new server fails and says why
    _set_status(cloud, "h2", {"status": "disabled"})
    failed = boot(cloud, admin, image_id)["id"]
    server = wait_for_status(cloud, admin, failed, "ERROR")
    assert "ComputeFilter" in server["fault"]["message"]


def test_zones_and_groups_steer_placement(cloud: Cloud, image_id: str) -> None:
    cloud.start_control_plane(hosts=("h1", "h2"))
    _wait_for_services(cloud, 4)
    admin = cloud.admin_headers()
    r = cloud.compute.post(
        "/v2.1/os-aggregates",
        json={"aggregate": {"name": "rack", "availability_zone": "az1"}},
        headers=admin,
    )
    agg = r.json()["aggregate"]
    r = cloud.compute.post(
        f"/v2.1/os-aggregates/{agg['id']}/action", json={"add_host": {"host": "h2"}}, headers=admin
    )
    assert r.status_code == 200
    zones = cloud.compute.get("/v2.1/os-availability-zone", headers=cloud.demo_headers()).json()
    assert sorted(z["zoneName"] for z in zones["availabilityZoneInfo"]) == ["az1", "nova"]
    assert {s["host"]: s["zone"] for s in _services(cloud, "?binary=stratus-compute")} == {
        "h1": "nova",
        "h2": "az1",
    }
    in_az1 = boot(cloud, admin, image_id, availability_zone="az1")["id"]
    wait_for_status(cloud, admin, in_az1, "ACTIVE")
    assert _host_of(cloud, in_az1) == "h2"
    # a zone-change of a host that runs servers is refused
    r = cloud.compute.post(
        f"/v2.1/os-aggregates/{agg['id']}/action",
        json={"set_metadata": {"metadata": {"availability_zone": "az2"}}},
        headers=admin,
    )
    assert r.status_code == 400
    group = cloud.compute.post(
        "/v2.1/os-server-groups",
        json={"server_group": {"name": "spread", "policies": ["anti-affinity"]}},
        headers=admin,
    ).json()["server_group"]
    members = []
    for _ in range(2):
        r = cloud.compute.post(
            "/v2.1/servers",
            json={
                "server": {"name": "m", "imageRef": image_id, "flavorRef": "1"},
                "os:scheduler_hints": {"group": group["id"]},
            },
            headers=admin,
        )
        assert r.status_code == 202, r.text
        members.append(r.json()["server"]["id"])
    for server_id in members:
        wait_for_status(cloud, admin, server_id, "ACTIVE")
    assert {_host_of(cloud, s) for s in members} == {"h1", "h2"}
    shown = cloud.compute.get(f"/v2.1/os-server-groups/{group['id']}", headers=admin).json()
    assert sorted(shown["server_group"]["members"]) == sorted(members)
