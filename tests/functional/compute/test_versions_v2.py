"""Version discovery lists v2.0 then v2.1; ``/v2/...`` serves the v2.1 API at 2.1."""

from __future__ import annotations

from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import mv


def test_versions_list_v20_first_and_links_resolve(cloud: Cloud) -> None:
    versions = cloud.compute.get("/").json()["versions"]
    assert [v["id"] for v in versions] == ["v2.0", "v2.1"]
    assert versions[1]["version"] == "2.79" and versions[1]["min_version"] == "2.1"
    for version in versions:
        self_link = next(link for link in version["links"] if link["rel"] == "self")
        r = cloud.compute.get(self_link["href"])
        assert r.status_code == 200
        shown = r.json()["version"]
        assert shown["id"] == version["id"]
        assert [link for link in shown["links"] if link["rel"] == "self"] == [self_link]


def test_v2_paths_serve_the_base_microversion(cloud: Cloud) -> None:
    headers = mv(cloud.admin_headers(), "2.75")
    r = cloud.compute.get("/v2/flavors/1", headers=headers)
    assert r.status_code == 200
    assert r.json()["flavor"]["swap"] == ""  # 2.1 rendering although 2.75 was asked for
    assert r.headers["openstack-api-version"] == "compute 2.1"
    assert cloud.compute.get("/v2/flavors/1").status_code == 401
    assert cloud.compute.get("/v2/no-such-thing", headers=headers).status_code == 404
