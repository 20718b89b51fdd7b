"""Nova's image proxy ``/v2.1/images`` (up to 2.35) and ``/images/{id}/metadata`` (up to 2.38):
shapes as Tempest's schemas, the image service's visibility and ownership, filters, metadata."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from stratus.common import clock
from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import (
    action,
    boot,
    version,
    wait_for_image,
    wait_for_status,
)

LINK = {
    "type": "object",
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
    },
    "required": ["href", "rel"],
    "additionalProperties": False,
}
LINKS = {"type": "array", "items": LINK}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}
DETAIL = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "status": {"enum": ["ACTIVE", "SAVING", "DELETED", "ERROR", "UNKNOWN"]},
        "updated": TIME,
        "created": TIME,
        "links": LINKS,
        "name": {"type": ["string", "null"]},
        "minDisk": {"type": "integer"},
        "minRam": {"type": "integer"},
        "progress": {"type": "integer"},
        "metadata": {"type": "object"},
        "server": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "links": LINKS},
            "required": ["id", "links"],
            "additionalProperties": False,
        },
        "OS-EXT-IMG-SIZE:size": {"type": ["integer", "null"]},
        "OS-DCF:diskConfig": {"type": "string"},
    },
    "required": [
        "id", "status", "updated", "links", "name", "created", "minDisk", "minRam", "progress",
        "metadata",
    ],
    "additionalProperties": False,
}  # fmt: skip
BRIEF = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "links": LINKS, "name": {"type": ["string", "null"]}},
    "required": ["id", "links", "name"],
    "additionalProperties": False,
}


def _collection(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"images": {"type": "array", "items": item}, "images_links": LINKS},
        "required": ["images"],
        "additionalProperties": False,
    }


def _get(cloud: Cloud, account: Account, path: str, v: str = "2.1", **params: Any) -> Any:
    return cloud.compute.get(
        f"/v2.1/images{path}", params=params, headers={**account.headers, **version(v)}
    )


def _ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["images"]]


def _image(cloud: Cloud, account: Account, **body: Any) -> str:
    """A queued image of ``account``'s project, created through the image API."""
    body = {"disk_format": "raw", "container_format": "bare", **body}
    r = cloud.image.post("/v2/images", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _upload(cloud: Cloud, account: Account, image_id: str) -> None:
    r = cloud.image.put(
        f"/v2/images/{image_id}/file",
        content=b"x" * 1024,
        headers={**account.headers, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 204, r.text


@pytest.fixture
def own(cloud: Cloud, member: Account) -> str:
    """An active private image of ``member``'s project with two custom properties."""
    image_id = _image(
        cloud, member, name="own", visibility="private", min_ram=64, min_disk=1,
        os_distro="cirros", auto_disk_config="true",
    )  # fmt: skip
    _upload(cloud, member, image_id)
    return image_id


# ---------------------------------------------------------------------------------------- shapes


def test_list_detail_and_show_shapes_at_2_1(cloud, member, own, image_id):
    r = _get(cloud, member, "")
    assert r.status_code == 200, r.text
    jsonschema.validate(r.json(), _collection(BRIEF))
    assert {own, image_id} <= set(_ids(r))
    r = _get(cloud, member, "/detail")
    jsonschema.validate(r.json(), _collection(DETAIL))
    r = _get(cloud, member, f"/{own}")
    assert r.status_code == 200, r.text
    jsonschema.validate(r.json()["image"], DETAIL)
    image = r.json()["image"]
    assert (image["id"], image["name"], image["status"], image["progress"]) == (
        own, "own", "ACTIVE", 100
    )  # fmt: skip
    assert (image["minRam"], image["minDisk"], image["OS-EXT-IMG-SIZE:size"]) == (64, 1, 1024)
    assert image["metadata"] == {"os_distro": "cirros", "auto_disk_config": "true"}
    assert image["OS-DCF:diskConfig"] == "AUTO"
    assert "server" not in image
    links = {link["rel"]: link for link in image["links"]}
    assert links["self"]["href"].endswith(f"/v2.1/images/{own}")
    assert links["bookmark"]["href"].endswith(f"/images/{own}")
    assert "/v2.1/" not in links["bookmark"]["href"]
    alternate = links["alternate"]
    assert alternate["type"] == "application/vnd.openstack.image"
    assert alternate["href"] == cloud.cfg.endpoint_url(cloud.cfg.image.port, f"/images/{own}")


def test_status_and_progress_follow_the_image_service(cloud, member):
    queued = _image(cloud, member, name="queued")
    image = _get(cloud, member, f"/{queued}").json()["image"]
    assert (image["status"], image["progress"], image["OS-EXT-IMG-SIZE:size"]) == (
        "SAVING", 25, None
    )  # fmt: skip
    _upload(cloud, member, queued)
    r = cloud.image.post(f"/v2/images/{queued}/actions/deactivate", headers=member.headers)
    assert r.status_code == 204, r.text
    image = _get(cloud, member, f"/{queued}").json()["image"]
    assert (image["status"], image["progress"]) == ("UNKNOWN", 0)


def test_legacy_v2_endpoint_serves_the_proxy(cloud, member, own):
    r = cloud.compute.get(f"/v2/images/{own}", headers=member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["image"]["id"] == own


@pytest.mark.parametrize(
    ("method", "path", "last"),
    [
        ("GET", "", "2.35"),
        ("GET", "/detail", "2.35"),
        ("GET", "/{id}", "2.35"),
        ("DELETE", "/{id}", "2.35"),
        ("GET", "/{id}/metadata", "2.38"),
        ("POST", "/{id}/metadata", "2.38"),
        ("PUT", "/{id}/metadata", "2.38"),
        ("GET", "/{id}/metadata/os_distro", "2.38"),
        ("PUT", "/{id}/metadata/os_distro", "2.38"),
        ("DELETE", "/{id}/metadata/os_distro", "2.38"),
    ],
)
def test_proxy_is_gone_after_its_last_microversion(cloud, member, own, method, path, last):
    url = f"/v2.1/images{path.format(id=own)}"
    body: dict[str, Any] | None = None
    if method in ("POST", "PUT"):
        body = {"meta": {"os_distro": "x"}} if path.endswith("os_distro") else {"metadata": {}}
    major, minor = last.split(".")
    after = f"{major}.{int(minor) + 1}"
    for v in (after, "latest"):
        headers = {**member.headers, **version(v)}
        r = cloud.compute.request(method, url, json=body, headers=headers)
        assert r.status_code == 404, (v, r.text)
        assert r.json()["itemNotFound"]["message"]
    if method == "GET":
        r = cloud.compute.get(url, headers={**member.headers, **version(last)})
        assert r.status_code == 200, r.text
    # the image is still there: nothing was deleted or changed from 2.36 on
    assert cloud.image.get(f"/v2/images/{own}", headers=member.headers).json()["os_distro"] == (
        "cirros"
    )


# ------------------------------------------------------------------------------------ visibility


def test_other_projects_private_images_are_not_found(cloud, member, own):
    other = cloud.new_user(role="member")
    assert own not in _ids(_get(cloud, other, ""))
    assert own not in _ids(_get(cloud, other, "/detail"))
    h = other.headers
    assert _get(cloud, other, f"/{own}").status_code == 404
    assert cloud.compute.delete(f"/v2.1/images/{own}", headers=h).status_code == 404
    assert _get(cloud, other, f"/{own}/metadata").status_code == 404
    assert _get(cloud, other, f"/{own}/metadata/os_distro").status_code == 404
    r = cloud.compute.post(f"/v2.1/images/{own}/metadata", json={"metadata": {}}, headers=h)
    assert r.status_code == 404
    r = cloud.compute.delete(f"/v2.1/images/{own}/metadata/os_distro", headers=h)
    assert r.status_code == 404
    # the admin sees everything
    admin = {**cloud.admin_headers()}
    assert cloud.compute.get(f"/v2.1/images/{own}", headers=admin).status_code == 200


def test_public_images_are_readable_but_not_writable_by_others(cloud, member, image_id):
    h = member.headers
    r = _get(cloud, member, f"/{image_id}/metadata")
    assert r.status_code == 200 and r.json() == {"metadata": {}}
    r = cloud.compute.post(
        f"/v2.1/images/{image_id}/metadata", json={"metadata": {"k": "v"}}, headers=h
    )
    assert r.status_code == 403, r.text
    r = cloud.compute.put(
        f"/v2.1/images/{image_id}/metadata/k", json={"meta": {"k": "v"}}, headers=h
    )
    assert r.status_code == 403, r.text
    r = cloud.compute.delete(f"/v2.1/images/{image_id}", headers=h)
    assert r.status_code == 403, r.text
    assert _get(cloud, member, f"/{image_id}").status_code == 200


@pytest.mark.parametrize("image_ref", [str(uuid.uuid4()), "a" * 37, "-1", "not-an-id"])
def test_unknown_images_are_404(cloud, member, image_ref):
    assert _get(cloud, member, f"/{image_ref}").status_code == 404
    assert cloud.compute.delete(
        f"/v2.1/images/{image_ref}", headers=member.headers
    ).status_code == (404)
    r = _get(cloud, member, f"/{image_ref}/metadata")
    assert r.status_code == 404
    assert r.json()["itemNotFound"]["message"] == "Image not found."


def test_delete_removes_the_image(cloud, member, own):
    r = cloud.compute.delete(f"/v2.1/images/{own}", headers=member.headers)
    assert r.status_code == 204, r.text
    assert _get(cloud, member, f"/{own}").status_code == 404
    assert cloud.image.get(f"/v2/images/{own}", headers=member.headers).status_code == 404


def test_protected_images_cannot_be_deleted(cloud, member):
    image_id = _image(cloud, member, protected=True)
    r = cloud.compute.delete(f"/v2.1/images/{image_id}", headers=member.headers)
    assert r.status_code == 403, r.text
    assert _get(cloud, member, f"/{image_id}").status_code == 200


# --------------------------------------------------------------------------------------- filters


def test_filters(cloud, member):
    one = _image(cloud, member, name="alpha", min_ram=128, min_disk=2)
    _upload(cloud, member, one)
    server = str(uuid.uuid4())
    two = _image(
        cloud, member, name="beta", instance_uuid=server, image_type="snapshot", arch="x86"
    )
    assert _ids(_get(cloud, member, "", name="alpha")) == [one]
    assert _ids(_get(cloud, member, "/detail", status="ACTIVE", name="alpha")) == [one]
    assert one not in _ids(_get(cloud, member, "", status="queued"))
    assert two in _ids(_get(cloud, member, "", status="QUEUED"))
    assert _ids(_get(cloud, member, "", server=server)) == [two]
    link = f"http://compute.test/v2.1/servers/{server}"
    assert _ids(_get(cloud, member, "/detail", server=link)) == [two]
    assert _ids(_get(cloud, member, "", type="snapshot")) == [two]
    assert _ids(_get(cloud, member, "", **{"property-arch": "x86"})) == [two]
    assert _ids(_get(cloud, member, "", minRam="128")) == [one]
    assert _ids(_get(cloud, member, "", minDisk="2", name="alpha")) == [one]
    assert _ids(_get(cloud, member, "", minRam="129")) == []
    detail = _get(cloud, member, f"/{two}").json()["image"]
    assert detail["server"]["id"] == server
    assert {link["rel"] for link in detail["server"]["links"]} == {"self", "bookmark"}


def test_changes_since(cloud, member):
    old = _image(cloud, member, name="old")
    clock.advance(60)
    try:
        new = _image(cloud, member, name="new")
        created = _get(cloud, member, f"/{new}").json()["image"]["created"]
        found = _ids(_get(cloud, member, "", **{"changes-since": created}))
        assert new in found and old not in found
    finally:
        clock.reset()


def test_limit_marker_and_next_link(cloud, member):
    made = [_image(cloud, member, name=f"page-{n}") for n in range(3)]
    r = _get(cloud, member, "", limit="2", name="page-1")
    assert _ids(r) == [made[1]] and "images_links" not in r.json()
    seen: list[str] = []
    marker: str | None = None
    for _ in range(5):
        params = {"limit": "1", **({"marker": marker} if marker else {})}
        r = _get(cloud, member, "/detail", **params)
        page = _ids(r)
        seen += page
        links = r.json().get("images_links")
        if not links:
            break
        (link,) = links
        assert link["rel"] == "next" and "/v2.1/images/detail?" in link["href"]
        marker = page[-1]
        assert f"marker={marker}" in link["href"]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))


# -------------------------------------------------------------------------------------- metadata


def test_metadata_lifecycle(cloud, member, own):
    base = f"/v2.1/images/{own}/metadata"
    h = member.headers
    assert cloud.compute.get(base, headers=h).json() == {
        "metadata": {"os_distro": "cirros", "auto_disk_config": "true"}
    }
    r = cloud.compute.put(base, json={"metadata": {"os_version": "1", "os_distro": "d"}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"metadata": {"os_version": "1", "os_distro": "d"}}
    r = cloud.compute.post(base, json={"metadata": {"os_version": "2", "arch": "a"}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"metadata": {"os_version": "2", "os_distro": "d", "arch": "a"}}
    r = cloud.compute.put(f"{base}/os_version", json={"meta": {"os_version": "3"}}, headers=h)
    assert r.status_code == 200 and r.json() == {"meta": {"os_version": "3"}}
    assert cloud.compute.get(f"{base}/os_version", headers=h).json() == {
        "meta": {"os_version": "3"}
    }
    assert cloud.compute.delete(f"{base}/arch", headers=h).status_code == 204
    assert cloud.compute.get(f"{base}/arch", headers=h).status_code == 404
    assert cloud.compute.delete(f"{base}/arch", headers=h).status_code == 404
    assert cloud.compute.get(base, headers=h).json() == {
        "metadata": {"os_version": "3", "os_distro": "d"}
    }
    # the image service sees the same custom properties
    glance = cloud.image.get(f"/v2/images/{own}", headers=h).json()
    assert (glance["os_version"], glance["os_distro"]) == ("3", "d")
    assert "arch" not in glance and "auto_disk_config" not in glance
    assert _get(cloud, member, f"/{own}").json()["image"]["metadata"] == {
        "os_version": "3",
        "os_distro": "d",
    }


def test_metadata_quota_is_403(cloud, member, own):
    r = cloud.compute.put(
        f"/v2.1/os-quota-sets/{member.project_id}",
        json={"quota_set": {"metadata_items": 3}},
        headers=cloud.admin_headers(),
    )
    assert r.status_code == 200, r.text
    base = f"/v2.1/images/{own}/metadata"
    r = cloud.compute.post(base, json={"metadata": {"a": "1", "b": "2"}}, headers=member.headers)
    assert r.status_code == 403, r.text
    assert r.json()["forbidden"]["message"] == "Image metadata limit exceeded"
    r = cloud.compute.post(base, json={"metadata": {"a": "1"}}, headers=member.headers)
    assert r.status_code == 200, r.text
    r = cloud.compute.put(
        base, json={"metadata": dict.fromkeys("wxyz", "v")}, headers=member.headers
    )
    assert r.status_code == 403, r.text
    assert len(cloud.compute.get(base, headers=member.headers).json()["metadata"]) == 3


@pytest.mark.parametrize("key", ["name", "status", "min_ram", "os_glance_import", "locations"])
def test_image_attributes_are_not_metadata(cloud, member, own, key):
    r = cloud.compute.post(
        f"/v2.1/images/{own}/metadata", json={"metadata": {key: "x"}}, headers=member.headers
    )
    assert r.status_code == 403, r.text
    assert key in r.json()["forbidden"]["message"]
    assert cloud.image.get(f"/v2/images/{own}", headers=member.headers).json()["name"] == "own"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/metadata", {"metadata": {"": "blank key"}}),
        ("POST", "/metadata", {"metadata": {"k": "v" * 256}}),
        ("POST", "/metadata", {"metadata": {"k/x": "bad key"}}),
        ("POST", "/metadata", {"meta": {"k": "v"}}),
        ("POST", "/metadata", {"metadata": ["k"]}),
        ("POST", "/metadata", None),
        ("PUT", "/metadata", {"metadata": {"k": 5}}),
        ("PUT", "/metadata", {"metadata": {}, "extra": 1}),
        ("PUT", "/metadata/k", {"meta": {"other": "v"}}),
        ("PUT", "/metadata/k", {"meta": {"k": "v", "j": "w"}}),
        ("PUT", "/metadata/k", {"meta": {}}),
        ("PUT", "/metadata/k", {"meta": {"k": None}}),
    ],
)
def test_bad_metadata_bodies_are_400(cloud, member, own, method, path, body):
    r = cloud.compute.request(
        method, f"/v2.1/images/{own}{path}", json=body, headers=member.headers
    )
    assert r.status_code == 400, r.text
    assert r.json()["badRequest"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-1"},
        {"limit": "many"},
        {"marker": str(uuid.uuid4())},
        {"changes-since": "yesterday"},
        {"minRam": "lots"},
        {"minDisk": "-2"},
    ],
)
def test_bad_list_queries_are_400(cloud, member, params):
    for path in ("", "/detail"):
        r = _get(cloud, member, path, **params)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["badRequest"]["message"]


# ------------------------------------------------------------------------- snapshots of servers


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1",))
    yield cloud


def test_snapshots_show_their_server(plane, member, image_id):
    created = boot(plane, member.headers, image_id)
    sid = created["id"]
    wait_for_status(plane, member.headers, sid, "ACTIVE")
    r = action(plane, member.headers, sid, {"createImage": {"name": "snap"}}, v="2.45")
    assert r.status_code == 202, r.text
    snapshot = r.json()["image_id"]
    wait_for_image(plane, member.headers, snapshot)
    image = _get(plane, member, f"/{snapshot}").json()["image"]
    assert image["status"] == "ACTIVE"
    assert image["server"]["id"] == sid
    hrefs = {link["rel"]: link["href"] for link in image["server"]["links"]}
    assert hrefs["self"].endswith(f"/v2.1/servers/{sid}")
    assert image["metadata"]["image_type"] == "snapshot"
    server_links = {link["rel"]: link["href"] for link in created["links"]}
    for href in (sid, server_links["self"], server_links["bookmark"]):
        assert _ids(_get(plane, member, "/detail", server=href)) == [snapshot]
    assert snapshot in _ids(_get(plane, member, "", type="snapshot"))
    assert image_id not in _ids(_get(plane, member, "", type="snapshot"))
    wait_for_status(plane, member.headers, sid, "ACTIVE")
    # metadata given to createImage wins over the default image_type (as in Nova)
    body = {"createImage": {"name": "typed", "metadata": {"image_type": "test"}}}
    r = action(plane, member.headers, sid, body, v="2.45")
    assert r.status_code == 202, r.text
    typed = _get(plane, member, f"/{r.json()['image_id']}").json()["image"]
    assert typed["metadata"]["image_type"] == "test"
    assert typed["server"]["id"] == sid
    wait_for_status(plane, member.headers, sid, "ACTIVE")
