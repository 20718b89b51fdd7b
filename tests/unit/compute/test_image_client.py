"""Finding the image endpoint in the user's catalog, and saying why when it fails."""

from __future__ import annotations

import httpx
import pytest

from stratus.compute.image_client import ImageClient, ImageServiceError


def _client(handler, region: str | None = None) -> tuple[ImageClient, httpx.Client]:  # type: ignore[no-untyped-def]
    transport = httpx.MockTransport(handler)
    images = ImageClient("http://keystone:5000/v3/", region=region, transport=transport)
    return images, httpx.Client(transport=transport)


def _catalog(*endpoints: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, json={"catalog": [{"type": "image", "endpoints": list(endpoints)}]})


def test_prefers_internal_then_public_and_honours_the_region() -> None:
    eps = [
        {"interface": "public", "url": "http://pub/", "region_id": "R1"},
        {"interface": "internal", "url": "http://int-r2", "region_id": "R2"},
        {"interface": "admin", "url": "http://adm", "region_id": "R1"},
    ]
    images, client = _client(lambda r: _catalog(*eps), region="R1")
    assert images.endpoint(client) == "http://pub"
    images, client = _client(lambda r: _catalog(*eps))
    assert images.endpoint(client) == "http://int-r2"


def test_no_image_service_in_the_catalog() -> None:
    images, client = _client(lambda r: httpx.Response(200, json={"catalog": []}))
    with pytest.raises(ImageServiceError, match="has no image endpoint"):
        images.endpoint(client)


def test_expired_token_is_reported_with_the_reason() -> None:
    body = {"error": {"code": 401, "message": "The token has expired."}}
    images, client = _client(lambda r: httpx.Response(401, json=body))
    with pytest.raises(ImageServiceError, match="HTTP 401: The token has expired"):
        images.endpoint(client)


def test_unreachable_identity_service() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    images, client = _client(refuse)
    with pytest.raises(ImageServiceError, match="cannot reach the identity service"):
        images.endpoint(client)


def test_auth_url_defaults_to_this_machines_identity_endpoint(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from stratus.common import config

    cfg = config.load(state_path=str(tmp_path), environ={"STRATUS_MY_IP": "192.0.2.5"})
    assert cfg.auth_url == "http://192.0.2.5:5000/v3"
    cfg = config.load(state_path=str(tmp_path), environ={"STRATUS_MY_IP": "2001:db8::5"})
    assert cfg.auth_url == "http://[2001:db8::5]:5000/v3"
    env = {"STRATUS_IDENTITY__AUTH_URL": "https://keystone.example/v3/"}
    assert config.load(state_path=str(tmp_path), environ=env).auth_url == (
        "https://keystone.example/v3"
    )
