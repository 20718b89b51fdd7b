"""Bad input always gets a 4xx with an OpenStack fault body — never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.image.conftest import PATCH, ImageCloud

BAD_CREATE_BODIES: list[tuple[Any, int]] = [
    ({"name": "n" * 256}, 400),
    ({"name": 5}, 400),
    ({"id": "not-a-uuid"}, 400),
    ({"id": 12}, 400),
    ({"disk_format": "floppy"}, 400),
    ({"container_format": "zip"}, 400),
    ({"visibility": "everyone"}, 400),
    ({"min_ram": -1}, 400),
    ({"min_disk": "10"}, 400),
    ({"min_ram": 2**40}, 400),
    ({"protected": "yes"}, 400),
    ({"os_hidden": None}, 400),
    ({"tags": "a,b"}, 400),
    ({"tags": [1]}, 400),
    ({"tags": ["t" * 256]}, 400),
    ({"custom": 1}, 400),
    ({"custom": None}, 400),
    ({"k" * 256: "v"}, 400),
    ({"status": "active"}, 403),
    ({"checksum": "abc"}, 403),
    ({"created_at": "2020-01-01T00:00:00Z"}, 403),
    ({"self": "/v2/images/x"}, 403),
    ({"file": "/x"}, 403),
    ({"locations": []}, 403),
    ({"deleted": "true"}, 403),
    ({"os_glance_import_task": "x"}, 403),
    ([], 400),
    ("image", 400),
]


@pytest.mark.parametrize(("body", "status"), BAD_CREATE_BODIES)
def test_bad_create_bodies(images: ImageCloud, body: Any, status: int) -> None:
    r = images.client.post("/v2/images", json=body, headers=images.headers("a-member"))
    assert r.status_code == status, r.text
    fault = next(iter(r.json().values()))
    assert fault["code"] == status and fault["message"]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"{}", "text/plain", 415),
    ],
)
def test_unparseable_create_requests(
    images: ImageCloud, content: bytes, content_type: str, status: int
) -> None:
    r = images.client.post(
        "/v2/images",
        content=content,
        headers=images.headers("a-member", **{"Content-Type": content_type}),
    )
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    ("ops", "media", "status"),
    [
        ([{"op": "replace", "path": "/name", "value": "x"}], "application/json", 415),
        ([{"op": "replace", "path": "/name", "value": "x"}], "application/merge-patch+json", 415),
        ([{"op": "replace", "path": "/name", "value": "x"}], "", 415),
        ({"op": "replace"}, PATCH, 400),
        ([{"op": "move", "path": "/name", "value": "x"}], PATCH, 400),
        ([{"op": "test", "path": "/name", "value": "x"}], PATCH, 400),
        ([{"op": "replace", "path": "name", "value": "x"}], PATCH, 400),
        ([{"op": "replace", "path": "/name/first", "value": "x"}], PATCH, 400),
        ([{"op": "replace", "path": "/name"}], PATCH, 400),
        ([{"op": "replace", "path": "/name", "value": "n" * 256}], PATCH, 400),
        ([{"op": "replace", "path": "/min_ram", "value": -5}], PATCH, 400),
        ([{"op": "replace", "path": "/disk_format", "value": "floppy"}], PATCH, 400),
        ([{"op": "add", "path": "/prop", "value": {"nested": 1}}], PATCH, 400),
        ([{"op": "replace", "path": "/status", "value": "active"}], PATCH, 403),
        ([{"op": "replace", "path": "/size", "value": 1}], PATCH, 403),
        (
            [
                {
                    "op": "add",
                    "path": "/locations/-",
                    "value": {"url": "file:///etc/passwd", "metadata": {}},
                }
            ],
            PATCH,
            403,
        ),
        ([{"op": "remove", "path": "/visibility"}], PATCH, 403),
        ([{"op": "remove", "path": "/nothing"}], PATCH, 409),
    ],
)
def test_bad_patches(images: ImageCloud, ops: Any, media: str, status: int) -> None:
    image = images.create()
    headers = images.headers("a-member")
    if media:
        headers["Content-Type"] = media
    r = images.client.patch(f"/v2/images/{image['id']}", content=json.dumps(ops), headers=headers)
    assert r.status_code == status, r.text
    assert images.show(image["id"]).json() == image


def test_patch_with_broken_json(images: ImageCloud) -> None:
    image = images.create()
    r = images.client.patch(
        f"/v2/images/{image['id']}",
        content=b"[{",
        headers=images.headers("a-member", **{"Content-Type": PATCH}),
    )
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/images/not-a-uuid"),
        ("GET", "/v2/images/00000000-0000-0000-0000-000000000000"),
        ("DELETE", "/v2/images/00000000-0000-0000-0000-000000000000"),
        ("GET", "/v2/images/00000000-0000-0000-0000-000000000000/file"),
        ("GET", "/v2/images/00000000-0000-0000-0000-000000000000/members"),
        ("POST", "/v2/images/00000000-0000-0000-0000-000000000000/actions/deactivate"),
        ("PUT", "/v2/images/00000000-0000-0000-0000-000000000000/tags/x"),
        ("GET", "/v2/nothing-here"),
    ],
)
def test_unknown_images_are_404(images: ImageCloud, method: str, path: str) -> None:
    r = images.client.request(method, path, headers=images.headers("a-member"))
    assert r.status_code == 404
    assert "itemNotFound" in r.json()


def test_wrong_method_is_405(images: ImageCloud) -> None:
    r = images.client.request("PUT", "/v2/images", headers=images.headers("a-member"))
    assert r.status_code == 405


def test_upload_with_bad_content_length(images: ImageCloud) -> None:
    image = images.create()
    h = images.headers(
        "a-member", **{"Content-Type": "application/octet-stream", "Content-Length": "-3"}
    )
    r = images.client.put(f"/v2/images/{image['id']}/file", content=b"", headers=h)
    assert 400 <= r.status_code < 500
    assert images.show(image["id"]).json()["status"] == "queued"


def test_member_for_non_shared_image(images: ImageCloud) -> None:
    image = images.create(visibility="private")
    r = images.client.post(
        f"/v2/images/{image['id']}/members",
        json={"member": "p-b"},
        headers=images.headers("a-member"),
    )
    assert r.status_code == 403
