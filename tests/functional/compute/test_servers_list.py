"""GET /servers and /servers/detail: filters, sorting, pagination, changes-since, isolation."""

from __future__ import annotations

import time
from typing import Any

from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import (
    boot,
    reset_state,
    upload_image,
    version,
)


def _list(cloud: Cloud, headers: dict[str, str], query: str = "", v: str = "2.1") -> Any:
    r = cloud.compute.get(f"/v2.1/servers{query}", headers={**headers, **version(v)})
    assert r.status_code == 200, r.text
    return r.json()


def _names(cloud: Cloud, account: Account, query: str = "", v: str = "2.1") -> list[str]:
    return sorted(s["name"] for s in _list(cloud, account.headers, query, v)["servers"])


def test_basic_list_shape(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id, name="one")
    body = _list(cloud, member.headers)
    assert list(body) == ["servers"]
    (server,) = body["servers"]
    assert set(server) == {"id", "name", "links"}
    assert server["id"] == created["id"]


def test_other_projects_servers_are_invisible(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id, name="mine")
    other = cloud.new_user(role="member")
    assert _names(cloud, other) == []
    sid = created["id"]
    h = other.headers
    assert cloud.compute.get(f"/v2.1/servers/{sid}", headers=h).status_code == 404
    assert (
        cloud.compute.put(
            f"/v2.1/servers/{sid}", json={"server": {"name": "x"}}, headers=h
        ).status_code
        == 404
    )
    assert cloud.compute.delete(f"/v2.1/servers/{sid}", headers=h).status_code == 404
    r = cloud.compute.post(f"/v2.1/servers/{sid}/action", json={"os-stop": None}, headers=h)
    assert r.status_code == 404
    assert r.json()["itemNotFound"]["message"] == f"Instance {sid} could not be found."
    assert cloud.compute.get(f"/v2.1/servers/{sid}/metadata", headers=h).status_code == 404
    # the admin sees it with all_tenants, the member may not ask for that
    admin = cloud.admin_headers()
    everyone = _list(cloud, admin, "?all_tenants=1")["servers"]
    assert sid in [s["id"] for s in everyone]
    assert sid not in [s["id"] for s in _list(cloud, admin)["servers"]]
    r = cloud.compute.get("/v2.1/servers?all_tenants=1", headers=member.headers)
    assert r.status_code == 403


def test_name_is_a_regular_expression(cloud, member, image_id):
    for name in ("web-1", "web-2", "db-1"):
        boot(cloud, member.headers, image_id, name=name)
    assert _names(cloud, member, "?name=web") == ["web-1", "web-2"]
    assert _names(cloud, member, "?name=^db") == ["db-1"]
    assert _names(cloud, member, "?name=-1$") == ["db-1", "web-1"]
    assert _names(cloud, member, "?name=nothing") == []


def test_status_filter(cloud, member, image_id):
    a = boot(cloud, member.headers, image_id, name="a")
    b = boot(cloud, member.headers, image_id, name="b")
    boot(cloud, member.headers, image_id, name="c")
    reset_state(cloud, a["id"], "active")
    reset_state(cloud, b["id"], "error")
    assert _names(cloud, member, "?status=ACTIVE") == ["a"]
    assert _names(cloud, member, "?status=active") == ["a"]
    assert _names(cloud, member, "?status=ERROR") == ["b"]
    assert _names(cloud, member, "?status=BUILD") == ["c"]
    assert _names(cloud, member, "?status=ACTIVE&status=ERROR") == ["a", "b"]
    assert _names(cloud, member, "?status=BOGUS") == []
    r = cloud.compute.get(
        "/v2.1/servers?status=BOGUS", headers={**member.headers, **version("2.38")}
    )
    assert r.status_code == 400


def test_image_and_flavor_filters(cloud, member, image_id):
    other_image = upload_image(cloud, cloud.admin_headers(), name="other")
    boot(cloud, member.headers, image_id, name="tiny")
    boot(cloud, member.headers, image_id, name="small", flavor="2")
    boot(cloud, member.headers, other_image, name="other")
    assert _names(cloud, member, f"?image={image_id}") == ["small", "tiny"]
    assert _names(cloud, member, f"?image={other_image}") == ["other"]
    assert _names(cloud, member, "?flavor=2") == ["small"]
    assert _names(cloud, member, "?flavor=1") == ["other", "tiny"]


def test_pagination_by_marker(cloud, member, image_id):
    ids = [boot(cloud, member.headers, image_id, name=f"s{i}")["id"] for i in range(5)]
    first = _list(cloud, member.headers, "?limit=2")
    assert len(first["servers"]) == 2
    (link,) = first["servers_links"]
    assert link["rel"] == "next"
    assert f"marker={first['servers'][-1]['id']}" in link["href"]
    assert "limit=2" in link["href"]
    seen = [s["id"] for s in first["servers"]]
    marker = seen[-1]
    while True:
        page = _list(cloud, member.headers, f"?limit=2&marker={marker}")
        seen.extend(s["id"] for s in page["servers"])
        if "servers_links" not in page:
            break
        marker = page["servers"][-1]["id"]
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 5
    # newest first by default
    assert seen == list(reversed(ids))
    assert _list(cloud, member.headers, "?limit=0")["servers"] == []
    assert len(_list(cloud, member.headers, "?limit=100000")["servers"]) == 5
    r = cloud.compute.get(
        "/v2.1/servers?marker=6d9d3f36-8ff5-4f73-a1a5-5ff51db0d9b7", headers=member.headers
    )
    assert r.status_code == 400
    assert cloud.compute.get("/v2.1/servers?limit=-1", headers=member.headers).status_code == 400
    assert cloud.compute.get("/v2.1/servers?limit=x", headers=member.headers).status_code == 400


def test_detail_pagination_and_sorting(cloud, member, image_id):
    for name in ("b", "c", "a", "d"):
        boot(cloud, member.headers, image_id, name=name)
    page = _list(cloud, member.headers, "/detail?sort_key=display_name&sort_dir=asc&limit=3")
    assert [s["name"] for s in page["servers"]] == ["a", "b", "c"]
    assert "/v2.1/servers/detail?" in page["servers_links"][0]["href"]
    last = page["servers"][-1]["id"]
    rest = _list(cloud, member.headers, f"/detail?sort_key=display_name&sort_dir=asc&marker={last}")
    assert [s["name"] for s in rest["servers"]] == ["d"]
    desc = _list(cloud, member.headers, "?sort_key=display_name&sort_dir=desc")
    assert [s["name"] for s in desc["servers"]] == ["d", "c", "b", "a"]
    assert (
        cloud.compute.get("/v2.1/servers?sort_key=bogus", headers=member.headers).status_code == 400
    )
    assert cloud.compute.get("/v2.1/servers?sort_dir=up", headers=member.headers).status_code == 400
    assert (
        cloud.compute.get("/v2.1/servers?sort_key=host", headers=member.headers).status_code == 403
    )


def test_changes_since_shows_deleted_servers(cloud, member, image_id):
    keep = boot(cloud, member.headers, image_id, name="keep")
    gone = boot(cloud, member.headers, image_id, name="gone")
    time.sleep(0.01)
    r = cloud.compute.delete(f"/v2.1/servers/{gone['id']}", headers=member.headers)
    assert r.status_code == 204
    assert _names(cloud, member) == ["keep"]
    body = _list(cloud, member.headers, "/detail?changes-since=2000-01-01T00:00:00Z")
    statuses = {s["name"]: s["status"] for s in body["servers"]}
    assert statuses == {"keep": "BUILD", "gone": "DELETED"}
    assert (
        cloud.compute.get(f"/v2.1/servers/{gone['id']}", headers=member.headers).status_code == 404
    )
    future = _list(cloud, member.headers, "?changes-since=2999-01-01T00:00:00Z")
    assert future["servers"] == []
    r = cloud.compute.get("/v2.1/servers?changes-since=yesterday", headers=member.headers)
    assert r.status_code == 400
    assert keep["id"] in [s["id"] for s in _list(cloud, member.headers)["servers"]]


def test_tag_filters(cloud, member, image_id):
    v = "2.52"
    for name, tags in (("ab", ["a", "b"]), ("a", ["a"]), ("none", [])):
        r = cloud.compute.post(
            "/v2.1/servers",
            json={"server": {"name": name, "imageRef": image_id, "flavorRef": "1",
                             "networks": "none", "tags": tags}},
            headers={**member.headers, **version(v)},
        )  # fmt: skip
        assert r.status_code == 202, r.text
    assert _names(cloud, member, "?tags=a,b", v) == ["ab"]
    assert _names(cloud, member, "?tags-any=a,b", v) == ["a", "ab"]
    assert _names(cloud, member, "?not-tags=a,b", v) == ["a", "none"]
    assert _names(cloud, member, "?not-tags-any=a", v) == ["none"]


def test_admin_only_filters_are_ignored_for_members(cloud, member, image_id):
    boot(cloud, member.headers, image_id, name="x")
    assert _names(cloud, member, "?host=nowhere") == ["x"]
    admin = cloud.admin_headers()
    assert _list(cloud, admin, "?all_tenants=1&host=nowhere")["servers"] == []
    found = _list(cloud, admin, f"?all_tenants=1&project_id={member.project_id}")["servers"]
    assert [s["name"] for s in found] == ["x"]
    # as Nova: tenant_id / project_id mean nothing without all_tenants
    assert _list(cloud, admin, f"?tenant_id={member.project_id}")["servers"] == []


def test_reader_may_list_and_show(cloud, member, image_id):
    created = boot(cloud, member.headers, image_id, name="seen")
    reader = cloud.new_user(project=member.project_name, role="reader")
    assert _names(cloud, reader) == ["seen"]
    r = cloud.compute.get(f"/v2.1/servers/{created['id']}", headers=reader.headers)
    assert r.status_code == 200
    r = cloud.compute.delete(f"/v2.1/servers/{created['id']}", headers=reader.headers)
    assert r.status_code == 403
