"""Upload and download of image data: hashing, states, size cap, ranges, interrupted uploads."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from stratus.common import exceptions
from stratus.common.context import RequestContext
from stratus.services.image import data as image_data
from stratus.services.image.data import DataApi
from tests.functional.image.conftest import CALLERS, ImageCloud

OCTET = {"Content-Type": "application/octet-stream"}


def _leftovers(images: ImageCloud) -> list[Path]:
    return [p for p in images.datadir.glob(".*")] if images.datadir.exists() else []


def test_upload_and_download(images: ImageCloud) -> None:
    data = os.urandom(300_000)
    image = images.create(name="blob")
    r = images.client.get(f"/v2/images/{image['id']}/file", headers=images.headers("a-member"))
    assert r.status_code == 204 and r.content == b""
    r = images.upload(image["id"], data)
    assert r.status_code == 204, r.text
    shown = images.show(image["id"]).json()
    assert shown["status"] == "active"
    assert shown["size"] == shown["virtual_size"] == len(data)
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    r = images.client.get(f"/v2/images/{image['id']}/file", headers=images.headers("a-member"))
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-md5"] == shown["checksum"]
    assert r.headers["content-length"] == str(len(data))
    stored = images.datadir / image["id"]
    assert stored.read_bytes() == data
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert _leftovers(images) == []


def test_upload_streams_from_a_generator(images: ImageCloud) -> None:
    image = images.create()

    def body() -> Any:
        for _ in range(50):
            yield b"z" * 65536

    r = images.client.put(
        f"/v2/images/{image['id']}/file",
        content=body(),
        headers=images.headers("a-member", **OCTET),
    )
    assert r.status_code == 204, r.text
    assert images.show(image["id"]).json()["size"] == 50 * 65536


def test_ranged_download(images: ImageCloud) -> None:
    data = bytes(range(256)) * 8
    image = images.active(data=data)
    url = f"/v2/images/{image['id']}/file"
    cases = [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, len(data) - 1),
        ("bytes=-16", len(data) - 16, len(data) - 1),
    ]
    for header, first, last in cases:
        r = images.client.get(url, headers=images.headers("a-member", Range=header))
        assert r.status_code == 206, header
        assert r.content == data[first : last + 1]
        assert r.headers["content-range"] == f"bytes {first}-{last}/{len(data)}"
        assert "content-md5" not in r.headers
    for bad in ("bytes=5000-", "bytes=9-2", "items=0-1", "bytes=-0"):
        r = images.client.get(url, headers=images.headers("a-member", Range=bad))
        assert r.status_code == 416, bad


def test_upload_twice_conflicts(images: ImageCloud) -> None:
    image = images.active()
    r = images.upload(image["id"], b"again")
    assert r.status_code == 409
    assert "conflictingRequest" in r.json()


def test_upload_needs_formats_and_octet_stream(images: ImageCloud) -> None:
    r = images.client.post("/v2/images", json={"name": "bare"}, headers=images.headers("a-member"))
    image = r.json()
    r = images.upload(image["id"], b"data")
    assert r.status_code == 400
    assert "disk_format, container_format" in r.json()["badRequest"]["message"]
    assert images.show(image["id"]).json()["status"] == "queued"
    other = images.create()
    h = images.headers("a-member", **{"Content-Type": "application/json"})
    r = images.client.put(f"/v2/images/{other['id']}/file", content=b"{}", headers=h)
    assert r.status_code == 415
    assert images.show(other["id"]).json()["status"] == "queued"


def test_size_cap(images: ImageCloud) -> None:
    images.state.config.image.image_size_cap = 1000
    image = images.create()
    r = images.upload(image["id"], b"x" * 1001)
    assert r.status_code == 413
    assert images.show(image["id"]).json()["status"] == "queued"
    assert _leftovers(images) == []

    def body() -> Any:  # no Content-Length: the cap is enforced while streaming
        for _ in range(5):
            yield b"y" * 300

    h = images.headers("a-member", **OCTET)
    r = images.client.put(f"/v2/images/{image['id']}/file", content=body(), headers=h)
    assert r.status_code == 413
    assert images.show(image["id"]).json()["status"] == "queued"
    assert _leftovers(images) == []
    assert images.upload(image["id"], b"x" * 1000).status_code == 204


def test_deleting_an_image_during_upload_is_gone(
    images: ImageCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = images.create()
    original = DataApi._inspect

    def inspect_then_delete(self: DataApi, upload: Any) -> Any:
        result = original(self, upload)
        images.client.delete(f"/v2/images/{image['id']}", headers=images.headers("a-member"))
        return result

    monkeypatch.setattr(DataApi, "_inspect", inspect_then_delete)
    r = images.upload(image["id"], b"abc")
    assert r.status_code == 410
    assert not (images.datadir / image["id"]).exists()
    assert _leftovers(images) == []


def _raw_put(
    images: ImageCloud, image_id: str, messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Drive the ASGI app directly so the client can vanish mid-body."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": f"/v2/images/{image_id}/file",
        "raw_path": f"/v2/images/{image_id}/file".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"image.test"),
            (b"x-auth-token", b"a-member"),
            (b"content-type", b"application/octet-stream"),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("image.test", 80),
        "state": {},
    }

    async def receive() -> Any:
        if messages:
            return messages.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Any) -> None:
        sent.append(message)

    async def main() -> None:
        await images.client.app(scope, receive, send)

    anyio.run(main)
    return sent


def test_client_disconnect_mid_upload_requeues_and_cleans_up(images: ImageCloud) -> None:
    image = images.create()
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"a" * 2_000_000, "more_body": True},
        {"type": "http.request", "body": b"b" * 10, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent = _raw_put(images, image["id"], messages)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 400
    shown = images.show(image["id"]).json()
    assert shown["status"] == "queued"
    assert shown["size"] is None and shown["checksum"] is None
    assert _leftovers(images) == []
    assert not (images.datadir / image["id"]).exists()
    assert images.upload(image["id"], b"complete").status_code == 204


def test_service_writes_in_bounded_batches(
    images: ImageCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body is never gathered in memory: writes are at most WRITE_BATCH plus one chunk."""
    monkeypatch.setattr(image_data, "WRITE_BATCH", 100_000)
    image = images.create()
    writes: list[int] = []
    original = image_data._Upload.write

    def spy(self: Any, data: bytes) -> None:
        writes.append(len(data))
        original(self, data)

    monkeypatch.setattr(image_data._Upload, "write", spy)
    api = _service(images)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"q" * 30_000

    anyio.run(api.upload, image["id"], body(), None)
    assert sum(writes) == 3_000_000
    assert max(writes) <= 130_000
    assert len(writes) >= 20


def _service(images: ImageCloud, token: str = "a-member") -> DataApi:
    user, project, roles = CALLERS[token]
    ctx = RequestContext(user_id=user, project_id=project, roles=roles)
    state = images.state

    class Policy:
        def allowed(self, rule: str, target: Any = None) -> bool:
            return state.enforcer.check_rule(rule, target or {}, ctx)

    return DataApi(state.db, state.store, state.config.image, ctx, Policy())


def test_concurrent_uploads_conflict(images: ImageCloud) -> None:
    image = images.create()
    api = _service(images)
    first = api._begin(image["id"])
    assert images.show(image["id"]).json()["status"] == "saving"
    r = images.upload(image["id"], b"second")
    assert r.status_code == 409
    api._abort(first)
    assert images.show(image["id"]).json()["status"] == "queued"
    assert _leftovers(images) == []


def test_declared_length_over_the_cap_is_refused_before_reading(images: ImageCloud) -> None:
    images.state.config.image.image_size_cap = 10
    image = images.create()
    api = _service(images)

    async def body() -> AsyncIterator[bytes]:
        raise AssertionError("the body must not be read")
        yield b""

    with pytest.raises(exceptions.PayloadTooLarge):
        anyio.run(api.upload, image["id"], body(), 11)
    assert images.show(image["id"]).json()["status"] == "queued"
    hidden = images.create("b-member", visibility="private")
    with pytest.raises(exceptions.NotFound):
        anyio.run(api.upload, hidden["id"], body(), 11)
