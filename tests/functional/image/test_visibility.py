"""Who sees which image: public, private, shared (members), community; 404 for the rest."""

from __future__ import annotations

from tests.functional.image.conftest import ImageCloud


def _accept(images: ImageCloud, image_id: str, project: str, token: str) -> None:
    h = images.headers
    r = images.client.post(
        f"/v2/images/{image_id}/members", json={"member": project}, headers=h("a-member")
    )
    assert r.status_code == 200, r.text
    r = images.client.put(
        f"/v2/images/{image_id}/members/{project}", json={"status": "accepted"}, headers=h(token)
    )
    assert r.status_code == 200, r.text


def test_private_images_are_invisible_to_other_projects(images: ImageCloud) -> None:
    image = images.create(visibility="private")
    assert images.show(image["id"], "a-reader").status_code == 200
    assert images.show(image["id"], "admin-token").status_code == 200
    r = images.show(image["id"], "b-member")
    assert r.status_code == 404
    assert r.json()["itemNotFound"]["code"] == 404
    assert image["id"] not in images.list_ids("b-member")
    h = images.headers("b-member", **{"Content-Type": "application/octet-stream"})
    assert (
        images.client.put(f"/v2/images/{image['id']}/file", content=b"x", headers=h).status_code
        == 404
    )
    assert images.client.delete(f"/v2/images/{image['id']}", headers=h).status_code == 404
    r = images.patch(
        image["id"], [{"op": "replace", "path": "/name", "value": "x"}], token="b-member"
    )
    assert r.status_code == 404


def test_public_images_are_visible_but_not_mutable(images: ImageCloud) -> None:
    r = images.client.post(
        "/v2/images", json={"visibility": "public"}, headers=images.headers("a-member")
    )
    assert r.status_code == 403
    image = images.active("admin-token", visibility="public", data=b"pub")
    assert images.show(image["id"], "b-member").status_code == 200
    assert image["id"] in images.list_ids("b-member")
    assert image["id"] in images.list_ids("a-reader")
    r = images.client.get(f"/v2/images/{image['id']}/file", headers=images.headers("a-reader"))
    assert r.content == b"pub"
    r = images.patch(
        image["id"], [{"op": "replace", "path": "/name", "value": "x"}], token="b-member"
    )
    assert r.status_code == 403
    assert (
        images.client.delete(
            f"/v2/images/{image['id']}", headers=images.headers("b-member")
        ).status_code
        == 403
    )


def test_community_images_are_visible_by_id_and_listed_on_request(images: ImageCloud) -> None:
    image = images.create(visibility="community")
    assert images.show(image["id"], "b-member").status_code == 200
    assert image["id"] not in images.list_ids("b-member")
    assert image["id"] in images.list_ids("b-member", visibility="community")
    assert image["id"] in images.list_ids("b-member", visibility="all")
    assert image["id"] in images.list_ids("a-member")  # the owner lists their own


def test_shared_images_and_member_status(images: ImageCloud) -> None:
    image = images.create(visibility="shared")
    assert images.show(image["id"], "b-member").status_code == 404
    h = images.headers("a-member")
    r = images.client.post(f"/v2/images/{image['id']}/members", json={"member": "p-b"}, headers=h)
    assert r.status_code == 200
    # pending: visible by id, listed only with member_status
    assert images.show(image["id"], "b-member").status_code == 200
    assert image["id"] not in images.list_ids("b-member")
    assert image["id"] in images.list_ids("b-member", member_status="pending")
    assert image["id"] in images.list_ids("b-member", member_status="all")
    assert images.show(image["id"], "c-member").status_code == 404
    hb = images.headers("b-member")
    r = images.client.put(
        f"/v2/images/{image['id']}/members/p-b", json={"status": "accepted"}, headers=hb
    )
    assert r.json()["status"] == "accepted"
    assert image["id"] in images.list_ids("b-member")
    assert image["id"] in images.list_ids("b-member", visibility="shared")
    assert image["id"] not in images.list_ids("b-member", member_status="pending")
    images.client.put(
        f"/v2/images/{image['id']}/members/p-b", json={"status": "rejected"}, headers=hb
    )
    assert image["id"] not in images.list_ids("b-member")
    assert images.show(image["id"], "b-member").status_code == 200
    # members may read but not modify
    r = images.patch(
        image["id"], [{"op": "replace", "path": "/name", "value": "x"}], token="b-member"
    )
    assert r.status_code == 403


def test_making_an_image_private_hides_it_from_members(images: ImageCloud) -> None:
    image = images.create(visibility="shared")
    _accept(images, image["id"], "p-b", "b-member")
    assert images.show(image["id"], "b-member").status_code == 200
    images.patch(image["id"], [{"op": "replace", "path": "/visibility", "value": "private"}])
    assert images.show(image["id"], "b-member").status_code == 404
    assert image["id"] not in images.list_ids("b-member")


def test_shared_member_downloads(images: ImageCloud) -> None:
    image = images.active(visibility="shared", data=b"shared bytes")
    _accept(images, image["id"], "p-b", "b-member")
    r = images.client.get(f"/v2/images/{image['id']}/file", headers=images.headers("b-member"))
    assert r.status_code == 200 and r.content == b"shared bytes"
    r = images.client.get(f"/v2/images/{image['id']}/file", headers=images.headers("c-member"))
    assert r.status_code == 404


def test_admin_sees_everything_except_foreign_community_images_in_lists(images: ImageCloud) -> None:
    private = images.create(visibility="private")
    community = images.create(visibility="community")
    listed = images.list_ids("admin-token")
    assert private["id"] in listed
    assert community["id"] not in listed
    assert community["id"] in images.list_ids("admin-token", visibility="community")


def test_readers_may_read_but_not_write(images: ImageCloud) -> None:
    image = images.active(data=b"r")
    assert images.show(image["id"], "a-reader").status_code == 200
    assert image["id"] in images.list_ids("a-reader")
    assert (
        images.client.get(
            f"/v2/images/{image['id']}/file", headers=images.headers("a-reader")
        ).content
        == b"r"
    )
    r = images.patch(
        image["id"], [{"op": "replace", "path": "/name", "value": "x"}], token="a-reader"
    )
    assert r.status_code == 403
    assert (
        images.client.delete(
            f"/v2/images/{image['id']}", headers=images.headers("a-reader")
        ).status_code
        == 403
    )
    queued = images.create()
    assert images.upload(queued["id"], b"x", token="a-reader").status_code == 403
    r = images.client.get("/v2/images", headers=images.headers("no-role"))
    assert r.status_code == 403
    assert images.show(image["id"], "no-role").status_code == 404
