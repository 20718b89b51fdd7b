"""``GET /v2/images/{id}/tasks``: an empty list for a visible image, 404 otherwise."""

from __future__ import annotations

import uuid

from tests.functional.image.conftest import ImageCloud


def _tasks(images: ImageCloud, image_id: str, token: str) -> tuple[int, dict[str, object]]:
    r = images.client.get(f"/v2/images/{image_id}/tasks", headers=images.headers(token))
    return r.status_code, r.json()


def test_visible_images_have_no_tasks(images: ImageCloud) -> None:
    queued = images.create(visibility="private")
    active = images.active("admin-token", visibility="public")
    assert _tasks(images, queued["id"], "a-member") == (200, {"tasks": []})
    assert _tasks(images, active["id"], "a-reader") == (200, {"tasks": []})
    assert _tasks(images, active["id"], "b-member") == (200, {"tasks": []})
    assert _tasks(images, queued["id"], "admin-token") == (200, {"tasks": []})


def test_unseen_and_unknown_images_are_404(images: ImageCloud) -> None:
    private = images.create(visibility="private")
    status, body = _tasks(images, private["id"], "b-member")
    assert status == 404 and body["itemNotFound"]
    for ref in (str(uuid.uuid4()), "not-a-uuid"):
        assert _tasks(images, ref, "a-member")[0] == 404
    r = images.client.get(f"/v2/images/{private['id']}/tasks")
    assert r.status_code == 401
