"""The qemu driver's image fetcher against a scripted identity + image service (httpx mock):
streamed and hashed, refused when the hash, the status or the service says no; a token the image
service no longer accepts is replaced once."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from stratus.client.auth import PasswordSession
from stratus.common.service_credentials import ServiceCredentials
from stratus.compute.image_fetch import ImageFetcher, image_meta
from stratus.virt.driver import DriverError

DATA = b"stratus" * 100_000
IMAGE_ID = "5b4e8b2a-8c36-4c1b-9d2e-7a1f0c3b9e11"
CATALOG = [
    {
        "type": "image",
        "endpoints": [
            {"interface": "public", "region_id": "RegionOne", "url": "http://img.example:9292/"},
            {"interface": "internal", "region_id": "Other", "url": "http://wrong.example"},
        ],
    }
]


class Service:
    """Identity + image service; ``record`` is what GET /v2/images/{id} answers."""

    def __init__(self) -> None:
        self.record: dict[str, object] = {
            "id": IMAGE_ID,
            "name": "cirros",
            "status": "active",
            "disk_format": "qcow2",
            "container_format": "bare",
            "size": len(DATA),
            "checksum": hashlib.md5(DATA).hexdigest(),
            "os_hash_algo": "sha512",
            "os_hash_value": hashlib.sha512(DATA).hexdigest(),
            "min_ram": 128,
            "kernel_id": "k-1",
            "visibility": "public",
            "tags": [],
        }
        self.logins = 0
        self.rejected_tokens: set[str] = set()
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.url.path == "/v3/auth/tokens":
            self.logins += 1
            body = json.loads(request.content)
            assert body["auth"]["scope"]["project"]["name"] == "service"
            return httpx.Response(
                201,
                headers={"X-Subject-Token": f"tok-{self.logins}"},
                json={"token": {"expires_at": "2099-01-01T00:00:00Z", "catalog": CATALOG}},
            )
        assert request.url.host == "img.example"
        if request.headers["X-Auth-Token"] in self.rejected_tokens:
            return httpx.Response(401, json={"error": {"message": "expired"}})
        if request.url.path == f"/v2/images/{IMAGE_ID}":
            return httpx.Response(200, json=self.record)
        if request.url.path == f"/v2/images/{IMAGE_ID}/file":
            return httpx.Response(200, content=DATA)
        return httpx.Response(404, json={"itemNotFound": {"message": "No image found"}})


def fetcher(service: Service) -> ImageFetcher:
    creds = ServiceCredentials(
        "http://id.example/v3", "stratus", "pw", "service", region_name="RegionOne"
    )
    return ImageFetcher(PasswordSession(creds, transport=httpx.MockTransport(service)))


def test_streams_verifies_and_returns_the_record(tmp_path: Path) -> None:
    service = Service()
    meta = fetcher(service)(IMAGE_ID, tmp_path / "part")
    assert (tmp_path / "part").read_bytes() == DATA
    assert (meta.id, meta.disk_format, meta.min_ram) == (IMAGE_ID, "qcow2", 128)
    assert meta.properties == {"kernel_id": "k-1"}  # only custom properties
    assert service.requests[1:] == [f"GET /v2/images/{IMAGE_ID}", f"GET /v2/images/{IMAGE_ID}/file"]


def test_md5_checksum_when_there_is_no_multihash(tmp_path: Path) -> None:
    service = Service()
    service.record.update(os_hash_algo=None, os_hash_value=None)
    assert fetcher(service)(IMAGE_ID, tmp_path / "part").checksum == hashlib.md5(DATA).hexdigest()
    service.record.update(checksum="0" * 32)
    with pytest.raises(DriverError, match=f"image {IMAGE_ID} failed verification: md5 is"):
        fetcher(service)(IMAGE_ID, tmp_path / "part")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"os_hash_value": "f" * 128},
            "failed verification: sha512 is .* the image service says f",
        ),
        ({"status": "queued"}, "is queued, not active: it has no data"),
        ({"os_hash_value": None, "checksum": None}, "has no checksum to verify its data against"),
        ({"os_hash_algo": "crc7"}, "unknown hash algorithm 'crc7'"),
    ],
)
def test_refusals_are_driver_errors_that_say_why(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    service = Service()
    service.record.update(change)
    with pytest.raises(DriverError, match=message):
        fetcher(service)(IMAGE_ID, tmp_path / "part")


def test_unknown_image(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match="image nope does not exist in the image service"):
        fetcher(Service())("nope", tmp_path / "part")


def test_a_rejected_token_is_replaced_once(tmp_path: Path) -> None:
    service = Service()
    fetch = fetcher(service)
    fetch(IMAGE_ID, tmp_path / "a")
    service.rejected_tokens.add("tok-1")
    fetch(IMAGE_ID, tmp_path / "b")
    assert service.logins == 2
    service.rejected_tokens.add("tok-2")
    service.rejected_tokens.add("tok-3")
    with pytest.raises(DriverError, match="HTTP 401: expired"):
        fetch(IMAGE_ID, tmp_path / "c")


def test_unreachable_identity_service(tmp_path: Path) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    creds = ServiceCredentials("http://id.example/v3", "stratus", "pw", "service")
    fetch = ImageFetcher(PasswordSession(creds, transport=httpx.MockTransport(down)))
    with pytest.raises(
        DriverError, match=r"cannot reach the identity service at http://id\.example"
    ):
        fetch(IMAGE_ID, tmp_path / "part")


def test_image_meta_keeps_custom_properties_as_strings() -> None:
    meta = image_meta({"id": "i", "status": "active", "hw_disk_bus": "virtio", "x_n": 3})
    assert meta.properties == {"hw_disk_bus": "virtio", "x_n": "3"}
