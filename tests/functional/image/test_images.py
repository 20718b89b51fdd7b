"""Image records: create, show, update (JSON patch), delete, deactivate/reactivate, tags."""

from __future__ import annotations

import re
import uuid

from tests.functional.image.conftest import ImageCloud

EXPECTED_KEYS = {
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum", "os_hash_algo",
    "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "disk_format",
    "container_format", "created_at", "updated_at", "tags", "self", "file", "schema",
}  # fmt: skip
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_create_with_defaults(images: ImageCloud) -> None:
    r = images.client.post("/v2/images", json={}, headers=images.headers("a-member"))
    assert r.status_code == 201, r.text
    image = r.json()
    assert set(image) == EXPECTED_KEYS
    assert image["status"] == "queued"
    assert image["visibility"] == "shared"
    assert image["owner"] == "p-a"
    assert image["protected"] is False and image["os_hidden"] is False
    assert image["name"] is None and image["size"] is None and image["checksum"] is None
    assert image["min_ram"] == 0 and image["tags"] == []
    assert TIME_RE.match(image["created_at"]) and TIME_RE.match(image["updated_at"])
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert r.headers["Location"].endswith(image["self"])
    assert images.show(image["id"]).json() == image


def test_create_with_everything(images: ImageCloud) -> None:
    image_id = str(uuid.uuid4())
    image = images.create(
        id=image_id,
        name="cirros",
        visibility="private",
        protected=True,
        os_hidden=True,
        disk_format="qcow2",
        container_format="bare",
        min_disk=1,
        min_ram=64,
        tags=["b", "a", "b"],
        hw_disk_bus="scsi",
        ramdisk_id="00000000-1111-2222-3333-444455556666",
    )
    assert image["id"] == image_id
    assert image["tags"] == ["a", "b"]
    assert image["hw_disk_bus"] == "scsi"
    assert image["ramdisk_id"] == "00000000-1111-2222-3333-444455556666"
    assert (image["min_disk"], image["min_ram"], image["protected"], image["os_hidden"]) == (
        1,
        64,
        True,
        True,
    )
    assert set(image) == EXPECTED_KEYS | {"hw_disk_bus", "ramdisk_id"}


def test_duplicate_id_conflicts(images: ImageCloud) -> None:
    image = images.create()
    r = images.client.post(
        "/v2/images", json={"id": image["id"]}, headers=images.headers("b-member")
    )
    assert r.status_code == 409
    assert "conflictingRequest" in r.json()


def test_readers_and_roleless_callers_cannot_create(images: ImageCloud) -> None:
    for token in ("a-reader", "no-role"):
        r = images.client.post("/v2/images", json={}, headers=images.headers(token))
        assert r.status_code == 403, token
        assert r.json()["forbidden"]["code"] == 403


def test_owner_on_create(images: ImageCloud) -> None:
    r = images.client.post("/v2/images", json={"owner": "p-b"}, headers=images.headers("a-member"))
    assert r.status_code == 403
    assert "p-b" in r.json()["forbidden"]["message"]
    assert images.create("a-member", owner="p-a")["owner"] == "p-a"
    assert images.create("admin-token", owner="p-b")["owner"] == "p-b"


def test_update_with_json_patch(images: ImageCloud) -> None:
    image = images.create(name="old", foo="1", bar="2")
    r = images.patch(
        image["id"],
        [
            {"op": "replace", "path": "/name", "value": "new"},
            {"op": "add", "path": "/baz", "value": "3"},
            {"op": "replace", "path": "/foo", "value": "one"},
            {"op": "remove", "path": "/bar"},
            {"op": "replace", "path": "/min_ram", "value": 512},
            {"op": "add", "path": "/tags", "value": ["x", "y"]},
            {"op": "replace", "path": "/protected", "value": True},
            {"op": "replace", "path": "/disk_format", "value": "qcow2"},
            {"op": "replace", "path": "/visibility", "value": "community"},
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["baz"], body["foo"], body["min_ram"]) == ("new", "3", "one", 512)
    assert "bar" not in body
    assert body["tags"] == ["x", "y"] and body["protected"] is True
    assert body["disk_format"] == "qcow2" and body["visibility"] == "community"
    assert images.show(image["id"]).json() == body


def test_patch_conflicts_and_forbidden_paths(images: ImageCloud) -> None:
    image = images.create(foo="1")
    cases = [
        ([{"op": "replace", "path": "/missing", "value": "x"}], 409),
        ([{"op": "remove", "path": "/missing"}], 409),
        ([{"op": "remove", "path": "/name"}], 403),
        ([{"op": "replace", "path": "/owner", "value": "p-b"}], 403),
        ([{"op": "replace", "path": "/visibility", "value": "public"}], 403),
        ([{"op": "replace", "path": "/checksum", "value": "x"}], 403),
    ]
    for ops, status in cases:
        r = images.patch(image["id"], ops)
        assert r.status_code == status, (ops, r.text)
    r = images.patch(
        image["id"],
        [{"add": "/foo", "value": "2"}],
        media="application/openstack-images-v2.0-json-patch",
    )
    assert r.status_code == 409
    r = images.patch(
        image["id"],
        [{"replace": "/foo", "value": "2"}],
        media="application/openstack-images-v2.0-json-patch",
    )
    assert r.status_code == 200 and r.json()["foo"] == "2"


def test_admin_may_publicize_and_change_owner(images: ImageCloud) -> None:
    image = images.create()
    r = images.patch(
        image["id"],
        [
            {"op": "replace", "path": "/visibility", "value": "public"},
            {"op": "replace", "path": "/owner", "value": "p-b"},
        ],
        token="admin-token",
    )
    assert r.status_code == 200, r.text
    assert (r.json()["visibility"], r.json()["owner"]) == ("public", "p-b")


def test_formats_only_change_while_queued(images: ImageCloud) -> None:
    image = images.active()
    r = images.patch(image["id"], [{"op": "replace", "path": "/disk_format", "value": "qcow2"}])
    assert r.status_code == 403
    r = images.patch(image["id"], [{"op": "replace", "path": "/disk_format", "value": "raw"}])
    assert r.status_code == 200


def test_delete(images: ImageCloud) -> None:
    image = images.active()
    assert (images.datadir / image["id"]).exists()
    r = images.client.delete(f"/v2/images/{image['id']}", headers=images.headers("a-member"))
    assert r.status_code == 204
    assert images.show(image["id"]).status_code == 404
    assert not (images.datadir / image["id"]).exists()
    r = images.client.delete(f"/v2/images/{image['id']}", headers=images.headers("a-member"))
    assert r.status_code == 404


def test_protected_images_cannot_be_deleted(images: ImageCloud) -> None:
    image = images.create(protected=True)
    r = images.client.delete(f"/v2/images/{image['id']}", headers=images.headers("a-member"))
    assert r.status_code == 403
    assert "protected" in r.json()["forbidden"]["message"]
    images.patch(image["id"], [{"op": "replace", "path": "/protected", "value": False}])
    r = images.client.delete(f"/v2/images/{image['id']}", headers=images.headers("a-member"))
    assert r.status_code == 204


def test_deactivate_and_reactivate(images: ImageCloud) -> None:
    image = images.active(data=b"payload")
    url = f"/v2/images/{image['id']}"
    h = images.headers("a-member")
    queued = images.create()
    assert (
        images.client.post(f"/v2/images/{queued['id']}/actions/deactivate", headers=h).status_code
        == 403
    )
    assert (
        images.client.post(
            f"{url}/actions/deactivate", headers=images.headers("a-reader")
        ).status_code
        == 403
    )
    assert images.client.post(f"{url}/actions/deactivate", headers=h).status_code == 204
    assert images.client.post(f"{url}/actions/deactivate", headers=h).status_code == 204
    assert images.show(image["id"]).json()["status"] == "deactivated"
    r = images.client.get(f"{url}/file", headers=h)
    assert r.status_code == 403
    assert "deactivated" in r.json()["forbidden"]["message"]
    r = images.client.get(f"{url}/file", headers=images.headers("admin-token"))
    assert r.status_code == 200 and r.content == b"payload"
    assert images.client.post(f"{url}/actions/reactivate", headers=h).status_code == 204
    assert images.show(image["id"]).json()["status"] == "active"
    assert images.client.get(f"{url}/file", headers=h).content == b"payload"


def test_tags(images: ImageCloud) -> None:
    image = images.create(tags=["a"])
    url = f"/v2/images/{image['id']}/tags"
    h = images.headers("a-member")
    assert images.client.put(f"{url}/b", headers=h).status_code == 204
    assert images.client.put(f"{url}/b", headers=h).status_code == 204
    assert images.client.put(f"{url}/with%20space", headers=h).status_code == 204
    assert images.show(image["id"]).json()["tags"] == ["a", "b", "with space"]
    assert images.client.delete(f"{url}/a", headers=h).status_code == 204
    assert images.client.delete(f"{url}/a", headers=h).status_code == 404
    assert images.client.put(f"{url}/{'t' * 256}", headers=h).status_code == 400
    assert images.client.put(f"{url}/c", headers=images.headers("a-reader")).status_code == 403
    assert images.client.put(f"{url}/c", headers=images.headers("b-member")).status_code == 404
    assert images.show(image["id"]).json()["tags"] == ["b", "with space"]


def test_tag_and_property_quotas(images: ImageCloud) -> None:
    image = images.create(tags=[f"t{i}" for i in range(128)])
    r = images.client.put(
        f"/v2/images/{image['id']}/tags/one-more", headers=images.headers("a-member")
    )
    assert r.status_code == 413
    props = {f"p{i}": "v" for i in range(129)}
    r = images.client.post("/v2/images", json=props, headers=images.headers("a-member"))
    assert r.status_code == 413
