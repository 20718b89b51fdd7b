"""Flavors: bootstrap defaults, list/detail/show shapes per microversion, filters, paging,
create/update/delete, extra specs and access to private flavors."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import mv

DEFAULTS = {
    "1": ("m1.tiny", 1, 512, 1),
    "2": ("m1.small", 1, 2048, 20),
    "3": ("m1.medium", 2, 4096, 40),
    "4": ("m1.large", 4, 8192, 80),
    "5": ("m1.xlarge", 8, 16384, 160),
}


def _create(cloud: Cloud, version: str = "2.1", **fields: object) -> dict[str, object]:
    body = {"name": "f-x", "ram": 64, "vcpus": 1, "disk": 1, **fields}
    r = cloud.compute.post(
        "/v2.1/flavors", json={"flavor": body}, headers=mv(cloud.admin_headers(), version)
    )
    assert r.status_code == 200, r.text
    return r.json()["flavor"]


def test_default_flavors_exist_and_list_shape(cloud: Cloud) -> None:
    r = cloud.compute.get("/v2.1/flavors/detail", headers=cloud.demo_headers())
    assert r.status_code == 200
    flavors = {f["id"]: f for f in r.json()["flavors"]}
    for flavorid, (name, vcpus, ram, disk) in DEFAULTS.items():
        f = flavors[flavorid]
        assert (f["name"], f["vcpus"], f["ram"], f["disk"]) == (name, vcpus, ram, disk)
        assert f["swap"] == ""  # 2.1: "" for no swap
        assert f["OS-FLV-EXT-DATA:ephemeral"] == 0
        assert f["os-flavor-access:is_public"] is True
        assert f["OS-FLV-DISABLED:disabled"] is False
        assert f["rxtx_factor"] == 1.0
        assert "description" not in f and "extra_specs" not in f
        assert [link["rel"] for link in f["links"]] == ["self", "bookmark"]
        assert f["links"][0]["href"].endswith(f"/v2.1/flavors/{flavorid}")
    brief = cloud.compute.get("/v2.1/flavors", headers=cloud.demo_headers()).json()["flavors"]
    assert set(brief[0]) == {"id", "name", "links"}


def test_bootstrap_is_idempotent(cloud: Cloud) -> None:
    from stratus.services.compute import bootstrap

    bootstrap.run(cloud.db, cloud.cfg)
    r = cloud.compute.get("/v2.1/flavors", headers=cloud.admin_headers())
    assert sorted(f["id"] for f in r.json()["flavors"]) == ["1", "2", "3", "4", "5"]


def test_microversion_fields(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    created = _create(cloud, "2.55", name="described", description="for tests", swap=0)
    assert created["description"] == "for tests"
    r = cloud.compute.get(f"/v2.1/flavors/{created['id']}", headers=mv(admin, "2.61"))
    body = r.json()["flavor"]
    assert body["extra_specs"] == {} and body["description"] == "for tests"
    assert body["swap"] == ""
    r = cloud.compute.get(f"/v2.1/flavors/{created['id']}", headers=mv(admin, "2.75"))
    assert r.json()["flavor"]["swap"] == 0
    r = cloud.compute.get("/v2.1/flavors", headers=mv(admin, "2.55"))
    assert all("description" in f for f in r.json()["flavors"])
    r = cloud.compute.get("/v2.1/flavors?foo=1", headers=mv(admin, "2.75"))
    assert r.status_code == 400
    assert cloud.compute.get("/v2.1/flavors?foo=1", headers=mv(admin, "2.74")).status_code == 200


def test_update_description(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    f = _create(cloud)
    url = f"/v2.1/flavors/{f['id']}"
    body = {"flavor": {"description": "new"}}
    assert cloud.compute.put(url, json=body, headers=admin).status_code == 404  # before 2.55
    r = cloud.compute.put(url, json=body, headers=mv(admin, "2.55"))
    assert r.status_code == 200 and r.json()["flavor"]["description"] == "new"
    member = cloud.compute.put(url, json=body, headers=mv(cloud.demo_headers(), "2.55"))
    assert member.status_code == 403


def test_create_with_ids_and_conflicts(cloud: Cloud) -> None:
    nano = _create(cloud, id="0", name="m1.nano", ram=64, vcpus=1, disk=1)
    assert nano["id"] == "0"
    auto = _create(cloud, name="auto-id")
    assert len(auto["id"]) == 36
    numeric = _create(cloud, id=42, name="numeric", ram="128")
    assert numeric["id"] == "42" and numeric["ram"] == 128
    admin = cloud.admin_headers()
    dup_id = {"flavor": {"name": "other", "ram": 64, "vcpus": 1, "disk": 1, "id": "0"}}
    r = cloud.compute.post("/v2.1/flavors", json=dup_id, headers=admin)
    assert r.status_code == 409 and "ID 0" in r.json()["conflictingRequest"]["message"]
    dup_name = {"flavor": {"name": "m1.nano", "ram": 64, "vcpus": 1, "disk": 1}}
    assert cloud.compute.post("/v2.1/flavors", json=dup_name, headers=admin).status_code == 409
    member = cloud.compute.post("/v2.1/flavors", json=dup_name, headers=cloud.demo_headers())
    assert member.status_code == 403


def test_delete(cloud: Cloud) -> None:
    f = _create(cloud)
    url = f"/v2.1/flavors/{f['id']}"
    assert cloud.compute.delete(url, headers=cloud.demo_headers()).status_code == 403
    r = cloud.compute.delete(url, headers=cloud.admin_headers())
    assert r.status_code == 202 and r.content == b""
    assert cloud.compute.get(url, headers=cloud.admin_headers()).status_code == 404
    assert cloud.compute.delete(url, headers=cloud.admin_headers()).status_code == 404


def test_filters(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    ids = [
        f["id"]
        for f in cloud.compute.get("/v2.1/flavors?minRam=4096", headers=demo).json()["flavors"]
    ]
    assert ids == ["3", "4", "5"]
    r = cloud.compute.get("/v2.1/flavors/detail?minDisk=80", headers=demo)
    assert [f["id"] for f in r.json()["flavors"]] == ["4", "5"]
    r = cloud.compute.get("/v2.1/flavors?sort_key=memory_mb&sort_dir=desc", headers=demo)
    assert [f["id"] for f in r.json()["flavors"]] == ["5", "4", "3", "2", "1"]
    for bad in ("minRam=abc", "minDisk=x", "sort_key=nope", "sort_dir=sideways", "limit=-1"):
        assert cloud.compute.get(f"/v2.1/flavors?{bad}", headers=demo).status_code == 400, bad


def test_pagination_with_links(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    r = cloud.compute.get("/v2.1/flavors?limit=2", headers=demo)
    body = r.json()
    assert [f["id"] for f in body["flavors"]] == ["1", "2"]
    nxt = body["flavors_links"][0]
    assert nxt["rel"] == "next" and "marker=2" in nxt["href"] and "limit=2" in nxt["href"]
    r = cloud.compute.get("/v2.1/flavors/detail?limit=2&marker=2", headers=demo)
    assert [f["id"] for f in r.json()["flavors"]] == ["3", "4"]
    assert "/v2.1/flavors/detail?" in r.json()["flavors_links"][0]["href"]
    r = cloud.compute.get("/v2.1/flavors?limit=2&marker=4", headers=demo)
    assert [f["id"] for f in r.json()["flavors"]] == ["5"]
    assert "flavors_links" not in r.json()
    assert cloud.compute.get("/v2.1/flavors?marker=nope", headers=demo).status_code == 400


def test_private_flavor_access(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("alice-project")
    bob = cloud.new_user("bob-project")
    private = _create(cloud, name="private", **{"os-flavor-access:is_public": False})
    url = f"/v2.1/flavors/{private['id']}"
    assert cloud.compute.get(url, headers=alice.headers).status_code == 404
    listed = cloud.compute.get("/v2.1/flavors", headers=alice.headers).json()["flavors"]
    assert private["id"] not in [f["id"] for f in listed]
    action = f"{url}/action"
    grant = {"addTenantAccess": {"tenant": alice.project_id}}
    assert cloud.compute.post(action, json=grant, headers=alice.headers).status_code == 403
    r = cloud.compute.post(action, json=grant, headers=admin)
    assert r.status_code == 200
    assert r.json() == {
        "flavor_access": [{"flavor_id": private["id"], "tenant_id": alice.project_id}]
    }
    assert cloud.compute.post(action, json=grant, headers=admin).status_code == 409
    assert cloud.compute.get(url, headers=alice.headers).status_code == 200
    assert cloud.compute.get(url, headers=bob.headers).status_code == 404
    listed = cloud.compute.get("/v2.1/flavors", headers=alice.headers).json()["flavors"]
    assert private["id"] in [f["id"] for f in listed]
    r = cloud.compute.get(f"{url}/os-flavor-access", headers=admin)
    assert r.json()["flavor_access"][0]["tenant_id"] == alice.project_id

    # admin listings: public only by default, is_public=false / none for the others
    def ids(query: str) -> list[str]:
        r = cloud.compute.get(f"/v2.1/flavors?{query}", headers=admin)
        return [f["id"] for f in r.json()["flavors"]]

    assert private["id"] not in ids("")
    assert ids("is_public=false") == [private["id"]]
    assert private["id"] in ids("is_public=none") and "1" in ids("is_public=none")
    assert cloud.compute.get("/v2.1/flavors?is_public=maybe", headers=admin).status_code == 400
    revoke = {"removeTenantAccess": {"tenant": alice.project_id}}
    assert cloud.compute.post(action, json=revoke, headers=admin).status_code == 200
    assert cloud.compute.post(action, json=revoke, headers=admin).status_code == 404
    assert cloud.compute.get(url, headers=alice.headers).status_code == 404
    unknown = {"addTenantAccess": {"tenant": "no-such-project"}}
    assert cloud.compute.post(action, json=unknown, headers=admin).status_code == 400


def test_access_on_public_flavor(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    r = cloud.compute.get("/v2.1/flavors/1/os-flavor-access", headers=admin)
    assert r.status_code == 404
    grant = {"addTenantAccess": {"tenant": cloud.new_user().project_id}}
    r = cloud.compute.post("/v2.1/flavors/1/action", json=grant, headers=mv(admin, "2.7"))
    assert r.status_code == 409


def test_extra_specs(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    demo = cloud.demo_headers()
    url = "/v2.1/flavors/1/os-extra_specs"
    specs = {"extra_specs": {"hw:cpu_policy": "shared", "quota:disk": 5, "flag": True}}
    assert cloud.compute.post(url, json=specs, headers=demo).status_code == 403
    r = cloud.compute.post(url, json=specs, headers=admin)
    assert r.status_code == 200
    expected = {"hw:cpu_policy": "shared", "quota:disk": "5", "flag": "True"}
    assert r.json() == {"extra_specs": expected}
    assert cloud.compute.get(url, headers=demo).json() == {"extra_specs": expected}
    assert cloud.compute.get(f"{url}/quota:disk", headers=demo).json() == {"quota:disk": "5"}
    r = cloud.compute.put(f"{url}/quota:disk", json={"quota:disk": "7"}, headers=admin)
    assert r.status_code == 200 and r.json() == {"quota:disk": "7"}
    r = cloud.compute.put(f"{url}/quota:disk", json={"other": "7"}, headers=admin)
    assert r.status_code == 400
    r = cloud.compute.put(f"{url}/quota:disk", json={"quota:disk": "1", "b": "2"}, headers=admin)
    assert r.status_code == 400
    r = cloud.compute.get("/v2.1/flavors/1", headers=mv(demo, "2.61"))
    assert r.json()["flavor"]["extra_specs"]["quota:disk"] == "7"
    r = cloud.compute.delete(f"{url}/flag", headers=admin)
    assert r.status_code == 200
    assert cloud.compute.delete(f"{url}/flag", headers=admin).status_code == 404
    assert cloud.compute.get(f"{url}/flag", headers=admin).status_code == 404
    bad = {"extra_specs": {"bad/key": "x"}}
    assert cloud.compute.post(url, json=bad, headers=admin).status_code == 400
