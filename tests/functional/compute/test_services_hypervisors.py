"""``/os-services`` and ``/os-hypervisors`` over service and compute node rows as heartbeats
leave them: state up/down, enable/disable per microversion, usage from allocations."""

from __future__ import annotations

import json

from stratus.common import clock
from stratus.db.models.compute import Allocation
from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import add_instance, add_node, add_service, mv


def _services(cloud: Cloud, version: str = "2.1", query: str = "") -> list[dict[str, object]]:
    r = cloud.compute.get(f"/v2.1/os-services{query}", headers=mv(cloud.admin_headers(), version))
    assert r.status_code == 200, r.text
    return r.json()["services"]


def test_list_state_zone_and_filters(cloud: Cloud) -> None:
    add_service(cloud, "ctl", "stratus-scheduler")
    add_service(cloud, "ctl", "stratus-conductor")
    add_service(cloud, "h1")
    add_service(cloud, "h2", seen_ago=cloud.cfg.default.service_down_time + 5)
    by_key = {(s["host"], s["binary"]): s for s in _services(cloud)}
    assert by_key[("ctl", "stratus-scheduler")]["zone"] == "internal"
    assert by_key[("h1", "stratus-compute")]["zone"] == "nova"
    assert by_key[("h1", "stratus-compute")]["state"] == "up"
    assert by_key[("h2", "stratus-compute")]["state"] == "down"
    assert by_key[("h1", "stratus-compute")]["status"] == "enabled"
    assert isinstance(by_key[("h1", "stratus-compute")]["id"], int)
    assert "forced_down" not in by_key[("h1", "stratus-compute")]
    assert by_key[("h1", "stratus-compute")]["updated_at"] is not None
    v253 = _services(cloud, "2.53", "?binary=stratus-compute")
    assert {s["host"] for s in v253} == {"h1", "h2"}
    assert all(len(str(s["id"])) == 36 and s["forced_down"] is False for s in v253)
    assert [s["binary"] for s in _services(cloud, query="?host=ctl")] == [
        "stratus-scheduler",
        "stratus-conductor",
    ]


def test_members_get_403(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    for url in (
        "/v2.1/os-services",
        "/v2.1/os-hypervisors",
        "/v2.1/os-hypervisors/detail",
        "/v2.1/os-hypervisors/statistics",
        "/v2.1/os-migrations",
    ):
        assert cloud.compute.get(url, headers=demo).status_code == 403, url


def test_disable_enable_before_2_53(cloud: Cloud) -> None:
    add_service(cloud, "h1")
    add_service(cloud, "ctl", "stratus-scheduler")
    admin = cloud.admin_headers()
    body = {"host": "h1", "binary": "stratus-compute", "disabled_reason": "maintenance"}
    r = cloud.compute.put("/v2.1/os-services/disable-log-reason", json=body, headers=admin)
    assert r.status_code == 200
    assert r.json() == {
        "service": {
            "host": "h1",
            "binary": "stratus-compute",
            "status": "disabled",
            "disabled_reason": "maintenance",
        }
    }
    h1 = next(s for s in _services(cloud) if s["host"] == "h1")
    assert h1["status"] == "disabled" and h1["disabled_reason"] == "maintenance"
    body = {"host": "h1", "binary": "stratus-compute"}
    r = cloud.compute.put("/v2.1/os-services/enable", json=body, headers=admin)
    assert r.json()["service"]["status"] == "enabled"
    h1 = next(s for s in _services(cloud) if s["host"] == "h1")
    assert h1["status"] == "enabled" and h1["disabled_reason"] is None
    r = cloud.compute.put("/v2.1/os-services/disable", json=body, headers=admin)
    assert r.json()["service"]["status"] == "disabled"
    sched = {"host": "ctl", "binary": "stratus-scheduler"}
    assert (
        cloud.compute.put("/v2.1/os-services/disable", json=sched, headers=admin).status_code == 400
    )
    ghost = {"host": "nohost", "binary": "stratus-compute"}
    assert (
        cloud.compute.put("/v2.1/os-services/disable", json=ghost, headers=admin).status_code == 404
    )
    assert (
        cloud.compute.put("/v2.1/os-services/explode", json=body, headers=admin).status_code == 404
    )
    forced = {**body, "forced_down": True}
    r = cloud.compute.put("/v2.1/os-services/force-down", json=forced, headers=mv(admin, "2.11"))
    assert r.status_code == 200 and r.json()["service"]["forced_down"] is True
    h1 = next(s for s in _services(cloud, "2.11") if s["host"] == "h1")
    assert h1["state"] == "down" and h1["forced_down"] is True


def test_update_from_2_53(cloud: Cloud) -> None:
    row = add_service(cloud, "h1")
    sched = add_service(cloud, "ctl", "stratus-scheduler")
    admin = mv(cloud.admin_headers(), "2.53")
    url = f"/v2.1/os-services/{row.uuid}"
    r = cloud.compute.put(url, json={"status": "disabled", "disabled_reason": "R"}, headers=admin)
    assert r.status_code == 200
    svc = r.json()["service"]
    assert (svc["id"], svc["status"], svc["disabled_reason"], svc["state"]) == (
        row.uuid,
        "disabled",
        "R",
        "up",
    )
    assert svc["zone"] == "nova" and svc["forced_down"] is False
    bad = [
        {"status": "enabled", "disabled_reason": "R"},
        {"disabled_reason": "R"},
        {},
        {"status": "paused"},
        {"forced_down": "perhaps"},
    ]
    for body in bad:
        assert cloud.compute.put(url, json=body, headers=admin).status_code == 400, body
    r = cloud.compute.put(
        f"/v2.1/os-services/{sched.uuid}", json={"status": "disabled"}, headers=admin
    )
    assert r.status_code == 400
    assert (
        cloud.compute.put(
            "/v2.1/os-services/not-a-uuid", json={"status": "enabled"}, headers=admin
        ).status_code
        == 400
    )
    missing = "/v2.1/os-services/00000000-0000-0000-0000-000000000000"
    assert cloud.compute.put(missing, json={"status": "enabled"}, headers=admin).status_code == 404
    r = cloud.compute.put(url, json={"status": "enabled"}, headers=admin)
    assert r.json()["service"]["disabled_reason"] is None


def test_delete_service(cloud: Cloud) -> None:
    busy = add_service(cloud, "busy")
    add_node(cloud, "busy")
    add_instance(cloud, "busy", "p1")
    idle = add_service(cloud, "idle")
    add_node(cloud, "idle")
    admin = mv(cloud.admin_headers(), "2.53")
    assert cloud.compute.delete(f"/v2.1/os-services/{busy.uuid}", headers=admin).status_code == 409
    assert cloud.compute.delete(f"/v2.1/os-services/{idle.uuid}", headers=admin).status_code == 204
    names = [
        h["hypervisor_hostname"]
        for h in cloud.compute.get("/v2.1/os-hypervisors", headers=admin).json()["hypervisors"]
    ]
    assert names == ["busy"]
    old = cloud.admin_headers()
    assert cloud.compute.delete("/v2.1/os-services/abc", headers=old).status_code == 400
    assert cloud.compute.delete("/v2.1/os-services/99999", headers=old).status_code == 404


def test_hypervisor_usage_and_shapes(cloud: Cloud) -> None:
    svc = add_service(cloud, "h1")
    node = add_node(cloud, "h1")
    vm = add_instance(cloud, "h1", "p1", name="web")
    with cloud.db.write() as s:
        s.add(
            Allocation(
                consumer_uuid=vm,
                compute_node_id=node.id,
                project_id="p1",
                vcpus=2,
                memory_mb=2048,
                disk_gb=20,
                created_at=clock.utcnow(),
            )
        )
    admin = cloud.admin_headers()
    listed = cloud.compute.get("/v2.1/os-hypervisors", headers=admin).json()["hypervisors"]
    assert listed == [
        {"id": node.id, "hypervisor_hostname": "h1", "state": "up", "status": "enabled"}
    ]
    detail = cloud.compute.get(f"/v2.1/os-hypervisors/{node.id}", headers=admin).json()[
        "hypervisor"
    ]
    assert detail["vcpus_used"] == 2
    assert detail["memory_mb_used"] == 2048 + 512  # reserved host memory counts as used
    assert detail["free_ram_mb"] == 32768 - 2560
    assert detail["local_gb_used"] == 20 and detail["free_disk_gb"] == 1004
    assert detail["running_vms"] == 1 and detail["current_workload"] == 0
    assert json.loads(detail["cpu_info"]) == {"arch": "x86_64", "model": "fake"}
    assert detail["service"] == {"id": svc.id, "host": "h1", "disabled_reason": None}
    assert "servers" not in detail
    v228 = cloud.compute.get(f"/v2.1/os-hypervisors/{node.id}", headers=mv(admin, "2.28"))
    assert v228.json()["hypervisor"]["cpu_info"] == {"arch": "x86_64", "model": "fake"}
    v253 = cloud.compute.get(
        f"/v2.1/os-hypervisors/{node.uuid}?with_servers=true", headers=mv(admin, "2.53")
    ).json()["hypervisor"]
    assert v253["id"] == node.uuid and v253["service"]["id"] == svc.uuid
    assert v253["servers"] == [{"name": "web", "uuid": vm}]
    stats = cloud.compute.get("/v2.1/os-hypervisors/statistics", headers=admin).json()[
        "hypervisor_statistics"
    ]
    assert stats["count"] == 1 and stats["vcpus_used"] == 2 and stats["running_vms"] == 1
    r = cloud.compute.get("/v2.1/os-hypervisors/h/servers", headers=admin).json()
    assert r["hypervisors"][0]["servers"] == [{"name": "web", "uuid": vm}]
    r = cloud.compute.get("/v2.1/os-hypervisors/h1/search", headers=admin).json()
    assert [h["hypervisor_hostname"] for h in r["hypervisors"]] == ["h1"]
    assert cloud.compute.get("/v2.1/os-hypervisors/zzz/search", headers=admin).status_code == 404
    assert (
        cloud.compute.get("/v2.1/os-hypervisors/h1/search", headers=mv(admin, "2.53")).status_code
        == 404
    )


def test_hypervisor_ids_paging_and_patterns(cloud: Cloud) -> None:
    nodes = []
    for host in ("alpha", "beta", "gamma"):
        add_service(cloud, host)
        nodes.append(add_node(cloud, host))
    admin = cloud.admin_headers()
    assert cloud.compute.get("/v2.1/os-hypervisors/abc", headers=admin).status_code == 404
    assert cloud.compute.get("/v2.1/os-hypervisors/999", headers=admin).status_code == 404
    v253 = mv(admin, "2.53")
    assert cloud.compute.get("/v2.1/os-hypervisors/12", headers=v253).status_code == 400
    r = cloud.compute.get("/v2.1/os-hypervisors?limit=2", headers=mv(admin, "2.33")).json()
    assert [h["hypervisor_hostname"] for h in r["hypervisors"]] == ["alpha", "beta"]
    assert f"marker={nodes[1].id}" in r["hypervisors_links"][0]["href"]
    r = cloud.compute.get(f"/v2.1/os-hypervisors/detail?marker={nodes[1].uuid}", headers=v253)
    assert [h["hypervisor_hostname"] for h in r.json()["hypervisors"]] == ["gamma"]
    r = cloud.compute.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=amm", headers=v253)
    assert [h["hypervisor_hostname"] for h in r.json()["hypervisors"]] == ["gamma"]
    r = cloud.compute.get("/v2.1/os-hypervisors?hypervisor_hostname_pattern=nope", headers=v253)
    assert r.status_code == 404
    r = cloud.compute.get(
        "/v2.1/os-hypervisors?hypervisor_hostname_pattern=a&limit=1", headers=v253
    )
    assert r.status_code == 400
    r = cloud.compute.get("/v2.1/os-hypervisors?with_servers=true", headers=mv(admin, "2.75"))
    assert all(h["servers"] == [] for h in r.json()["hypervisors"])
    assert cloud.compute.get("/v2.1/os-hypervisors?marker=nope", headers=v253).status_code == 400


def test_nova_binary_names_are_aliases(cloud: Cloud) -> None:
    add_service(cloud, "h1")
    assert [s["host"] for s in _services(cloud, query="?binary=nova-compute")] == ["h1"]
    body = {"host": "h1", "binary": "nova-compute"}
    r = cloud.compute.put("/v2.1/os-services/disable", json=body, headers=cloud.admin_headers())
    assert r.status_code == 200
    assert _services(cloud)[0]["status"] == "disabled"
