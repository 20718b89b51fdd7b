"""``/os-aggregates`` and ``/os-availability-zone``: zones come from aggregates, hosts cannot
be in two zones, shapes per microversion, admin-only policy."""

from __future__ import annotations

from typing import Any

from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import add_instance, add_service, mv


def _agg(cloud: Cloud, name: str, zone: str | None = None, version: str = "2.1") -> Any:
    body: dict[str, Any] = {"name": name}
    if zone is not None:
        body["availability_zone"] = zone
    r = cloud.compute.post(
        "/v2.1/os-aggregates", json={"aggregate": body}, headers=mv(cloud.admin_headers(), version)
    )
    assert r.status_code == 200, r.text
    return r.json()["aggregate"]


def _action(cloud: Cloud, agg_id: int, action: str, args: dict[str, Any]) -> Any:
    return cloud.compute.post(
        f"/v2.1/os-aggregates/{agg_id}/action", json={action: args}, headers=cloud.admin_headers()
    )


def test_aggregate_crud_and_shapes(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    created = _agg(cloud, "agg1", "az1")
    assert created["availability_zone"] == "az1"
    assert "hosts" not in created and "metadata" not in created and "uuid" not in created
    assert created["deleted"] is False and created["deleted_at"] is None
    v241 = _agg(cloud, "agg2", version="2.41")
    assert len(v241["uuid"]) == 36 and v241["availability_zone"] is None
    url = f"/v2.1/os-aggregates/{created['id']}"
    shown = cloud.compute.get(url, headers=admin).json()["aggregate"]
    assert shown["hosts"] == [] and shown["metadata"] == {"availability_zone": "az1"}
    r = cloud.compute.put(url, json={"aggregate": {"name": "renamed"}}, headers=admin)
    assert r.status_code == 200 and r.json()["aggregate"]["name"] == "renamed"
    assert r.json()["aggregate"]["updated_at"] is not None
    r = cloud.compute.put(url, json={"aggregate": {"name": "agg2"}}, headers=admin)
    assert r.status_code == 409
    assert (
        cloud.compute.post(
            "/v2.1/os-aggregates", json={"aggregate": {"name": "agg2"}}, headers=admin
        ).status_code
        == 409
    )
    listed = cloud.compute.get("/v2.1/os-aggregates", headers=admin).json()["aggregates"]
    assert sorted(a["name"] for a in listed) == ["agg2", "renamed"]
    r = cloud.compute.delete(url, headers=admin)
    assert r.status_code == 200
    assert cloud.compute.get(url, headers=admin).status_code == 404
    assert cloud.compute.get("/v2.1/os-aggregates/abc", headers=admin).status_code == 400


def test_members_get_403(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    assert cloud.compute.get("/v2.1/os-aggregates", headers=demo).status_code == 403
    body = {"aggregate": {"name": "x"}}
    assert cloud.compute.post("/v2.1/os-aggregates", json=body, headers=demo).status_code == 403
    assert cloud.compute.get("/v2.1/os-availability-zone/detail", headers=demo).status_code == 403


def test_hosts_define_zones(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    add_service(cloud, "h1")
    add_service(cloud, "h2")
    add_service(cloud, "ctl", "stratus-scheduler")
    zones = cloud.compute.get("/v2.1/os-availability-zone", headers=cloud.demo_headers()).json()
    assert zones == {
        "availabilityZoneInfo": [
            {"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}
        ]
    }
    agg = _agg(cloud, "rack1", "az1")
    r = _action(cloud, agg["id"], "add_host", {"host": "h1"})
    assert r.status_code == 200 and r.json()["aggregate"]["hosts"] == ["h1"]
    assert _action(cloud, agg["id"], "add_host", {"host": "h1"}).status_code == 409
    assert _action(cloud, agg["id"], "add_host", {"host": "ghost"}).status_code == 404
    names = [
        z["zoneName"]
        for z in cloud.compute.get("/v2.1/os-availability-zone", headers=admin).json()[
            "availabilityZoneInfo"
        ]
    ]
    assert names == ["az1", "nova"]
    detail = cloud.compute.get("/v2.1/os-availability-zone/detail", headers=admin).json()
    by_zone = {z["zoneName"]: z for z in detail["availabilityZoneInfo"]}
    assert set(by_zone) == {"az1", "nova", "internal"}
    assert by_zone["az1"]["hosts"]["h1"]["stratus-compute"]["available"] is True
    assert by_zone["az1"]["hosts"]["h1"]["stratus-compute"]["active"] is True
    assert "stratus-scheduler" in by_zone["internal"]["hosts"]["ctl"]
    # h1 cannot also join an aggregate of another zone
    other = _agg(cloud, "rack2", "az2")
    r = _action(cloud, other["id"], "add_host", {"host": "h1"})
    assert r.status_code == 409 and "az1" in r.json()["conflictingRequest"]["message"]
    # ... but may join a zone-less aggregate, which then cannot take another zone
    plain = _agg(cloud, "ssd")
    assert _action(cloud, plain["id"], "add_host", {"host": "h1"}).status_code == 200
    r = _action(cloud, plain["id"], "set_metadata", {"metadata": {"availability_zone": "az9"}})
    assert r.status_code == 400
    r = _action(cloud, plain["id"], "set_metadata", {"metadata": {"ssd": "true"}})
    assert r.status_code == 200 and r.json()["aggregate"]["metadata"] == {"ssd": "true"}
    r = _action(cloud, plain["id"], "set_metadata", {"metadata": {"ssd": None}})
    assert r.json()["aggregate"]["metadata"] == {}
    # an aggregate with hosts cannot be deleted
    assert (
        cloud.compute.delete(f"/v2.1/os-aggregates/{agg['id']}", headers=admin).status_code == 400
    )
    r = _action(cloud, agg["id"], "remove_host", {"host": "h1"})
    assert r.status_code == 200 and r.json()["aggregate"]["hosts"] == []
    assert _action(cloud, agg["id"], "remove_host", {"host": "h1"}).status_code == 404


def test_disabled_zone_is_not_available(cloud: Cloud) -> None:
    add_service(cloud, "h3", disabled=True, reason="maintenance")
    agg = _agg(cloud, "closed", "az-closed")
    assert _action(cloud, agg["id"], "add_host", {"host": "h3"}).status_code == 200
    zones = cloud.compute.get("/v2.1/os-availability-zone", headers=cloud.demo_headers()).json()
    assert {"zoneName": "az-closed", "zoneState": {"available": False}, "hosts": None} in zones[
        "availabilityZoneInfo"
    ]


def test_zone_change_refused_with_servers(cloud: Cloud) -> None:
    add_service(cloud, "busy")
    agg = _agg(cloud, "busy-agg", "az-a")
    _action(cloud, agg["id"], "add_host", {"host": "busy"})
    add_instance(cloud, "busy", "p1")
    r = cloud.compute.put(
        f"/v2.1/os-aggregates/{agg['id']}",
        json={"aggregate": {"availability_zone": "az-b"}},
        headers=cloud.admin_headers(),
    )
    assert r.status_code == 400 and "instances" in r.json()["badRequest"]["message"]


def test_bad_aggregate_input(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    agg = _agg(cloud, "valid")
    for body in (
        {"aggregate": {}},
        {"aggregate": {"name": ""}},
        {"aggregate": {"name": "a", "availability_zone": "bad:zone"}},
        {"aggregate": {"name": "a", "extra": 1}},
    ):
        r = cloud.compute.post("/v2.1/os-aggregates", json=body, headers=admin)
        assert r.status_code == 400, body
    for action in (
        {"add_host": {}},
        {"explode": {}},
        {"set_metadata": {"metadata": {"bad/key": "x"}}},
    ):
        r = cloud.compute.post(
            f"/v2.1/os-aggregates/{agg['id']}/action", json=action, headers=admin
        )
        assert r.status_code == 400, action
    r = cloud.compute.put(f"/v2.1/os-aggregates/{agg['id']}", json={"aggregate": {}}, headers=admin)
    assert r.status_code == 400
