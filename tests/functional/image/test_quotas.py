"""Per-project image quotas (Glance's ``image_count_total``, ``image_size_total`` in MiB,
``image_count_uploading``): 413 on create and upload, usage in ``GET /v2/info/usage`` (issue 7)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from stratus.common import exceptions
from stratus.db.repositories import images as repo
from tests.functional.image.conftest import ImageCloud
from tests.functional.image.test_image_data import OCTET, _leftovers, _service

MIB = 1024 * 1024


def _usage(images: ImageCloud, token: str = "a-member") -> dict[str, Any]:
    r = images.client.get("/v2/info/usage", headers=images.headers(token))
    assert r.status_code == 200, r.text
    return dict(r.json()["usage"])


def _limits(images: ImageCloud, count: int = -1, size: int = -1, uploading: int = -1) -> None:
    settings = images.state.config.image
    settings.image_count_total = count
    settings.image_size_total = size
    settings.image_count_uploading = uploading


def test_usage_shows_the_default_limits(images: ImageCloud) -> None:
    images.active(data=b"x" * (3 * MIB // 2))
    images.create()
    assert _usage(images) == {
        "image_size_total": {"limit": 102400, "usage": 1},
        "image_count_total": {"limit": 100, "usage": 2},
        "image_count_uploading": {"limit": 10, "usage": 0},
    }
    assert _usage(images, "b-member")["image_count_total"]["usage"] == 0


def test_image_count_total(images: ImageCloud) -> None:
    _limits(images, count=2)
    first = images.create()
    images.create()
    r = images.client.post("/v2/images", json={"name": "3rd"}, headers=images.headers("a-member"))
    assert r.status_code == 413
    assert "image_count_total" in r.json()["overLimit"]["message"]
    assert len(images.list_ids()) == 2
    images.create("b-member")  # another project has its own count
    r = images.client.delete(f"/v2/images/{first['id']}", headers=images.headers("a-member"))
    assert r.status_code == 204
    images.create()


def test_an_upload_beyond_image_size_total_is_413(images: ImageCloud) -> None:
    _limits(images, size=2)
    images.active(data=b"a" * (3 * MIB // 2))
    image = images.create()
    r = images.upload(image["id"], b"b" * MIB)  # declared Content-Length
    assert r.status_code == 413
    assert "image_size_total" in r.json()["overLimit"]["message"]

    def body() -> Iterator[bytes]:  # no Content-Length: cut off while streaming
        for _ in range(16):
            yield b"c" * (MIB // 16)

    h = images.headers("a-member", **OCTET)
    r = images.client.put(f"/v2/images/{image['id']}/file", content=body(), headers=h)
    assert r.status_code == 413
    assert images.show(image["id"]).json()["status"] == "queued"
    assert _leftovers(images) == []
    assert images.upload(image["id"], b"d" * (MIB // 4)).status_code == 204  # what is left fits
    assert images.active("b-member", data=b"e" * MIB)  # another project has its own room


def test_a_full_project_cannot_start_an_upload(images: ImageCloud) -> None:
    _limits(images, size=1)
    images.active(data=b"a" * MIB)
    image = images.create()
    r = images.upload(image["id"], b"")
    assert r.status_code == 413
    assert images.show(image["id"]).json()["status"] == "queued"


def test_uploads_that_together_pass_the_limit(images: ImageCloud) -> None:
    """Each fits in what was left when it began; the one that completes second is refused."""
    _limits(images, size=2)
    slow, fast = images.create(), images.create()
    api = _service(images)

    async def body() -> AsyncIterator[bytes]:
        yield b"s" * (MIB // 2)
        assert images.upload(fast["id"], b"f" * (3 * MIB // 2)).status_code == 204
        yield b"s" * (MIB // 2)

    with pytest.raises(exceptions.PayloadTooLarge, match="image_size_total"):  # i.e. 413
        anyio.run(api.upload, slow["id"], body(), None)
    assert images.show(slow["id"]).json()["status"] == "queued"
    assert images.state.store.size(slow["id"]) is None
    assert images.show(fast["id"]).json()["status"] == "active"


def test_image_count_uploading(images: ImageCloud) -> None:
    _limits(images, uploading=1)
    busy, other = images.create(), images.create()
    with images.state.db.write() as session:  # an upload in progress
        assert repo.set_status(session, busy["id"], "queued", "saving")
    assert _usage(images)["image_count_uploading"] == {"limit": 1, "usage": 1}
    r = images.upload(other["id"], b"x" * 10)
    assert r.status_code == 413
    assert "image_count_uploading" in r.json()["overLimit"]["message"]
    assert images.show(other["id"]).json()["status"] == "queued"
    assert images.active("b-member")
