"""Regions, services and endpoints management (``/v3/regions``, ``/services``, ``/endpoints``)."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create


def test_regions(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    generated = create(cloud, "region", {"description": "anon"})
    assert len(generated["id"]) == 32 and generated["parent_region_id"] is None
    r = cloud.identity.put(
        "/v3/regions/East", json={"region": {"description": "east"}}, headers=admin
    )
    assert r.status_code == 201 and r.json()["region"]["id"] == "East"
    assert (
        cloud.identity.put("/v3/regions/East", json={"region": {}}, headers=admin).status_code
        == 409
    )
    child = create(cloud, "region", {"id": "East-1", "parent_region_id": "East"})
    assert child["parent_region_id"] == "East"
    listed = cloud.identity.get("/v3/regions?parent_region_id=East", headers=admin).json()[
        "regions"
    ]
    assert [x["id"] for x in listed] == ["East-1"]
    r = cloud.identity.patch(
        "/v3/regions/East", json={"region": {"parent_region_id": "East-1"}}, headers=admin
    )
    assert r.status_code == 400
    assert (
        cloud.identity.post(
            "/v3/regions", json={"region": {"parent_region_id": "nope"}}, headers=admin
        ).status_code
        == 404
    )
    assert cloud.identity.delete("/v3/regions/East", headers=admin).status_code == 204
    assert cloud.identity.get("/v3/regions/East-1", headers=admin).status_code == 404
    r = cloud.identity.get("/v3/regions/nope", headers=admin)
    assert r.json()["error"]["message"] == "Could not find region: nope."


def test_services(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    s = create(
        cloud, "service", {"type": "placement", "name": "placement", "description": "Placement"}
    )
    assert s["enabled"] is True and s["name"] == "placement"
    listed = cloud.identity.get("/v3/services?type=placement", headers=admin).json()["services"]
    assert [x["id"] for x in listed] == [s["id"]]
    r = cloud.identity.patch(
        f"/v3/services/{s['id']}", json={"service": {"enabled": False}}, headers=admin
    )
    assert r.json()["service"]["enabled"] is False
    assert cloud.identity.delete(f"/v3/services/{s['id']}", headers=admin).status_code == 204
    assert cloud.identity.get(f"/v3/services/{s['id']}", headers=admin).status_code == 404
    assert cloud.identity.get("/v3/services", headers=cloud.demo_headers()).status_code == 403


def test_endpoints(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    s = create(cloud, "service", {"type": "compute", "name": "nova"})
    body = {
        "service_id": s["id"],
        "interface": "public",
        "url": "http://controller:8774/v2.1",
        "region_id": "RegionOne",
    }
    e = create(cloud, "endpoint", body)
    assert e["region"] == e["region_id"] == "RegionOne" and e["enabled"] is True
    listed = cloud.identity.get(
        f"/v3/endpoints?service_id={s['id']}&interface=public", headers=admin
    ).json()["endpoints"]
    assert [x["id"] for x in listed] == [e["id"]]
    assert cloud.identity.get("/v3/endpoints?interface=bogus", headers=admin).status_code == 400
    catalog = cloud.identity.get("/v3/auth/catalog", headers=admin).json()["catalog"]
    assert any(c["type"] == "compute" for c in catalog)
    r = cloud.identity.patch(
        f"/v3/endpoints/{e['id']}", json={"endpoint": {"url": "http://x:1/v2.1"}}, headers=admin
    )
    assert r.json()["endpoint"]["url"] == "http://x:1/v2.1"
    # unknown region_id / service_id are 400 (Keystone); the legacy "region" creates the region
    bad_region = {**body, "region_id": "Nowhere"}
    assert (
        cloud.identity.post(
            "/v3/endpoints", json={"endpoint": bad_region}, headers=admin
        ).status_code
        == 400
    )
    bad_service = {**body, "service_id": "nope"}
    assert (
        cloud.identity.post(
            "/v3/endpoints", json={"endpoint": bad_service}, headers=admin
        ).status_code
        == 400
    )
    legacy = {k: v for k, v in body.items() if k != "region_id"} | {"region": "Legacy"}
    assert create(cloud, "endpoint", legacy)["region_id"] == "Legacy"
    assert cloud.identity.get("/v3/regions/Legacy", headers=admin).status_code == 200
    bad_interface = {**body, "interface": "private"}
    assert (
        cloud.identity.post(
            "/v3/endpoints", json={"endpoint": bad_interface}, headers=admin
        ).status_code
        == 400
    )
    assert cloud.identity.delete(f"/v3/endpoints/{e['id']}", headers=admin).status_code == 204
    assert cloud.identity.get(f"/v3/endpoints/{e['id']}", headers=admin).status_code == 404
    assert (
        cloud.identity.post(
            "/v3/endpoints", json={"endpoint": body}, headers=cloud.demo_headers()
        ).status_code
        == 403
    )
