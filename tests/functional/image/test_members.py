"""Image members: the owner shares, members answer, everyone else sees nothing."""

from __future__ import annotations

import re

from tests.functional.image.conftest import ImageCloud

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _url(image_id: str, member: str = "") -> str:
    return f"/v2/images/{image_id}/members" + (f"/{member}" if member else "")


def test_member_lifecycle(images: ImageCloud) -> None:
    image = images.create(visibility="shared")
    owner, b = images.headers("a-member"), images.headers("b-member")
    r = images.client.post(_url(image["id"]), json={"member": "p-b"}, headers=owner)
    assert r.status_code == 200, r.text
    member = r.json()
    assert set(member) == {"member_id", "image_id", "status", "created_at", "updated_at", "schema"}
    assert (member["member_id"], member["image_id"], member["status"]) == (
        "p-b",
        image["id"],
        "pending",
    )
    assert member["schema"] == "/v2/schemas/member"
    assert TIME_RE.match(member["created_at"])
    images.client.post(_url(image["id"]), json={"member": "p-c"}, headers=owner)

    listing = images.client.get(_url(image["id"]), headers=owner).json()
    assert listing["schema"] == "/v2/schemas/members"
    assert sorted(m["member_id"] for m in listing["members"]) == ["p-b", "p-c"]
    own = images.client.get(_url(image["id"]), headers=b).json()["members"]
    assert [m["member_id"] for m in own] == ["p-b"]

    assert images.client.get(_url(image["id"], "p-b"), headers=b).json()["status"] == "pending"
    assert images.client.get(_url(image["id"], "p-c"), headers=b).status_code == 404
    assert images.client.get(_url(image["id"], "p-c"), headers=owner).status_code == 200

    r = images.client.put(_url(image["id"], "p-b"), json={"status": "accepted"}, headers=b)
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = images.client.put(_url(image["id"], "p-b"), json={"status": "rejected"}, headers=owner)
    assert r.status_code == 403
    r = images.client.put(_url(image["id"], "p-c"), json={"status": "accepted"}, headers=b)
    assert r.status_code == 404

    assert images.client.delete(_url(image["id"], "p-b"), headers=b).status_code == 403
    assert images.client.delete(_url(image["id"], "p-b"), headers=owner).status_code == 204
    assert images.client.get(_url(image["id"], "p-b"), headers=owner).status_code == 404
    assert images.show(image["id"], "b-member").status_code == 404


def test_member_errors(images: ImageCloud) -> None:
    image = images.create(visibility="shared")
    owner = images.headers("a-member")
    images.client.post(_url(image["id"]), json={"member": "p-b"}, headers=owner)
    cases = [
        (images.client.post, _url(image["id"]), {"member": "p-b"}, owner, 409),
        (images.client.post, _url(image["id"]), {}, owner, 400),
        (images.client.post, _url(image["id"]), {"member": ""}, owner, 400),
        (images.client.post, _url(image["id"]), {"member": 5}, owner, 400),
        (
            images.client.put,
            _url(image["id"], "p-b"),
            {"status": "maybe"},
            images.headers("b-member"),
            400,
        ),
        (images.client.put, _url(image["id"], "p-b"), {}, images.headers("b-member"), 400),
        (images.client.post, _url(image["id"]), {"member": "p-x"}, images.headers("b-member"), 403),
        (images.client.post, _url(image["id"]), {"member": "p-x"}, images.headers("a-reader"), 403),
        (images.client.post, _url(image["id"]), {"member": "p-x"}, images.headers("c-member"), 404),
    ]
    for call, url, body, headers, status in cases:
        r = call(url, json=body, headers=headers)
        assert r.status_code == status, (url, body, r.text)
    assert images.client.delete(_url(image["id"], "p-zz"), headers=owner).status_code == 404


def test_only_shared_images_have_members(images: ImageCloud) -> None:
    owner = images.headers("a-member")
    for visibility in ("private", "community"):
        image = images.create(visibility=visibility)
        r = images.client.post(_url(image["id"]), json={"member": "p-b"}, headers=owner)
        assert r.status_code == 403
        assert "Only shared images have members" in r.json()["forbidden"]["message"]
        assert images.client.get(_url(image["id"]), headers=owner).status_code == 403
        assert images.client.get(_url(image["id"], "p-b"), headers=owner).status_code == 404
    public = images.create("admin-token", visibility="public")
    r = images.client.post(
        _url(public["id"]), json={"member": "p-b"}, headers=images.headers("admin-token")
    )
    assert r.status_code == 403


def test_member_limit(images: ImageCloud) -> None:
    image = images.create(visibility="shared")
    owner = images.headers("a-member")
    for i in range(128):
        assert (
            images.client.post(
                _url(image["id"]), json={"member": f"p{i}"}, headers=owner
            ).status_code
            == 200
        )
    r = images.client.post(_url(image["id"]), json={"member": "p-last"}, headers=owner)
    assert r.status_code == 413


def test_deleting_an_image_removes_its_members(images: ImageCloud) -> None:
    image = images.create(visibility="shared")
    owner = images.headers("a-member")
    images.client.post(_url(image["id"]), json={"member": "p-b"}, headers=owner)
    assert images.client.delete(f"/v2/images/{image['id']}", headers=owner).status_code == 204
    assert images.client.get(_url(image["id"]), headers=owner).status_code == 404
