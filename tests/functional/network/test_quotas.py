"""Networking quotas: defaults, per-project limits, usage details and enforcement (409)."""

from __future__ import annotations

from tests.functional.network.conftest import Net, error

DEFAULTS = {
    "network": 100,
    "subnet": 100,
    "port": 500,
    "security_group": 10,
    "security_group_rule": 100,
}


def test_show_defaults_and_details(alice: Net) -> None:
    assert alice.get(f"/v2.0/quotas/{alice.project_id}").json() == {"quota": DEFAULTS}
    assert alice.get(f"/v2.0/quotas/{alice.project_id}/default").json() == {"quota": DEFAULTS}
    alice.network_with_subnet()
    details = alice.get(f"/v2.0/quotas/{alice.project_id}/details").json()["quota"]
    assert details["network"] == {"limit": 100, "used": 1, "reserved": 0}
    assert details["subnet"]["used"] == 1


def test_admin_sets_limits_members_cannot(admin: Net, alice: Net, bob: Net) -> None:
    r = alice.put(f"/v2.0/quotas/{alice.project_id}", {"quota": {"network": 1000}})
    assert r.status_code == 403
    assert alice.get(f"/v2.0/quotas/{bob.project_id}").status_code == 403
    r = admin.put(f"/v2.0/quotas/{alice.project_id}", {"quota": {"network": 1, "port": 2}})
    assert r.json()["quota"] == {**DEFAULTS, "network": 1, "port": 2}
    listed = admin.get("/v2.0/quotas").json()["quotas"]
    assert [q["project_id"] for q in listed] == [alice.project_id] and listed[0]["network"] == 1
    assert alice.get("/v2.0/quotas").status_code == 403
    alice.create("network")
    r = alice.post("/v2.0/networks", {"network": {"name": "over"}})
    assert r.status_code == 409 and error(r)["type"] == "OverQuota"
    assert "network" in error(r)["message"]
    assert admin.delete(f"/v2.0/quotas/{alice.project_id}").status_code == 204
    assert alice.get(f"/v2.0/quotas/{alice.project_id}").json() == {"quota": DEFAULTS}
    alice.create("network")


def test_port_quota(admin: Net, alice: Net) -> None:
    net, _ = alice.network_with_subnet()
    admin.put(f"/v2.0/quotas/{alice.project_id}", {"quota": {"port": 1}})
    alice.create("port", network_id=net["id"])
    r = alice.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
    assert r.status_code == 409 and error(r)["type"] == "OverQuota"
