"""/servers/{id}/metadata and /servers/{id}/tags."""

from __future__ import annotations

import pytest

from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import (
    boot,
    reset_state,
    version,
)


@pytest.fixture
def server(cloud: Cloud, member: Account, image_id: str) -> str:
    created = boot(cloud, member.headers, image_id, metadata={"a": "1", "b": "2"})
    reset_state(cloud, created["id"], "active")
    return str(created["id"])


def test_metadata_lifecycle(cloud, member, server):
    base = f"/v2.1/servers/{server}/metadata"
    h = member.headers
    assert cloud.compute.get(base, headers=h).json() == {"metadata": {"a": "1", "b": "2"}}
    r = cloud.compute.post(base, json={"metadata": {"b": "20", "c": "3"}}, headers=h)
    assert r.status_code == 200
    assert r.json() == {"metadata": {"a": "1", "b": "20", "c": "3"}}
    r = cloud.compute.put(base, json={"metadata": {"only": "x"}}, headers=h)
    assert r.json() == {"metadata": {"only": "x"}}
    assert cloud.compute.get(base, headers=h).json() == {"metadata": {"only": "x"}}
    r = cloud.compute.put(f"{base}/k", json={"meta": {"k": "v"}}, headers=h)
    assert r.status_code == 200
    assert r.json() == {"meta": {"k": "v"}}
    assert cloud.compute.get(f"{base}/k", headers=h).json() == {"meta": {"k": "v"}}
    assert cloud.compute.delete(f"{base}/k", headers=h).status_code == 204
    assert cloud.compute.get(f"{base}/k", headers=h).status_code == 404
    assert cloud.compute.delete(f"{base}/k", headers=h).status_code == 404
    r = cloud.compute.post(base, json={"metadata": {}}, headers=h)
    assert r.json() == {"metadata": {"only": "x"}}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {"metadata": {"": "blank key"}}),
        ("POST", "", {"metadata": {"k": "v" * 256}}),
        ("POST", "", {"meta": {"k": "v"}}),
        ("PUT", "", {"metadata": {"k": 5}}),
        ("PUT", "/k", {"meta": {"other": "v"}}),
        ("PUT", "/k", {"meta": {"k": "v", "j": "w"}}),
        ("PUT", "/k", {"metadata": {"k": "v"}}),
    ],
)
def test_bad_metadata_is_400(cloud, member, server, method, path, body):
    r = cloud.compute.request(
        method, f"/v2.1/servers/{server}/metadata{path}", json=body, headers=member.headers
    )
    assert r.status_code == 400, r.text


def test_metadata_quota_is_403(cloud, member, server):
    admin = cloud.admin_headers()
    r = cloud.compute.put(
        f"/v2.1/os-quota-sets/{member.project_id}",
        json={"quota_set": {"metadata_items": 3}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    base = f"/v2.1/servers/{server}/metadata"
    r = cloud.compute.post(base, json={"metadata": {"c": "3"}}, headers=member.headers)
    assert r.status_code == 200
    r = cloud.compute.post(base, json={"metadata": {"d": "4"}}, headers=member.headers)
    assert r.status_code == 403
    r = cloud.compute.put(base, json={"metadata": {"x": "1", "y": "2"}}, headers=member.headers)
    assert r.status_code == 200


def test_metadata_needs_a_usable_server(cloud, member, image_id):
    building = boot(cloud, member.headers, image_id)
    base = f"/v2.1/servers/{building['id']}/metadata"
    r = cloud.compute.post(base, json={"metadata": {"k": "v"}}, headers=member.headers)
    assert r.status_code == 409
    assert cloud.compute.get(base, headers=member.headers).status_code == 200
    missing = "/v2.1/servers/6d9d3f36-8ff5-4f73-a1a5-5ff51db0d9b7/metadata"
    assert cloud.compute.get(missing, headers=member.headers).status_code == 404
    r = cloud.compute.post(missing, json={"metadata": {"k": "v"}}, headers=member.headers)
    assert r.status_code == 404


def test_reader_reads_metadata_but_cannot_write(cloud, member, server):
    reader = cloud.new_user(project=member.project_name, role="reader")
    base = f"/v2.1/servers/{server}/metadata"
    assert cloud.compute.get(base, headers=reader.headers).status_code == 200
    r = cloud.compute.post(base, json={"metadata": {"k": "v"}}, headers=reader.headers)
    assert r.status_code == 403


def test_tags_lifecycle(cloud, member, server):
    h = {**member.headers, **version("2.26")}
    base = f"/v2.1/servers/{server}/tags"
    assert cloud.compute.get(base, headers=h).json() == {"tags": []}
    r = cloud.compute.put(f"{base}/blue", headers=h)
    assert r.status_code == 201
    assert r.headers["location"].endswith(f"/servers/{server}/tags/blue")
    assert cloud.compute.put(f"{base}/blue", headers=h).status_code == 204
    assert cloud.compute.get(f"{base}/blue", headers=h).status_code == 204
    assert cloud.compute.get(f"{base}/red", headers=h).status_code == 404
    r = cloud.compute.put(base, json={"tags": ["x", "y"]}, headers=h)
    assert r.json() == {"tags": ["x", "y"]}
    assert cloud.compute.delete(f"{base}/x", headers=h).status_code == 204
    assert cloud.compute.delete(f"{base}/x", headers=h).status_code == 404
    assert cloud.compute.get(base, headers=h).json() == {"tags": ["y"]}
    assert cloud.compute.delete(base, headers=h).status_code == 204
    assert cloud.compute.get(base, headers=h).json() == {"tags": []}
    r = cloud.compute.get(f"/v2.1/servers/{server}", headers=h)
    assert r.json()["server"]["tags"] == []


def test_tag_rules(cloud, member, server):
    h = {**member.headers, **version("2.26")}
    base = f"/v2.1/servers/{server}/tags"
    assert cloud.compute.get(base, headers=member.headers).status_code == 404  # before 2.26
    assert cloud.compute.put(f"{base}/{'t' * 61}", headers=h).status_code == 400
    assert cloud.compute.put(f"{base}/a,b", headers=h).status_code == 400
    r = cloud.compute.put(base, json={"tags": [f"t{i}" for i in range(51)]}, headers=h)
    assert r.status_code == 400
    r = cloud.compute.put(base, json={"tags": [f"t{i}" for i in range(50)]}, headers=h)
    assert r.status_code == 200
    assert cloud.compute.put(f"{base}/one-more", headers=h).status_code == 400
