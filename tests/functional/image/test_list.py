"""``GET /v2/images``: filters, sorting, pagination with marker and ``next`` links."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from stratus.common import clock
from tests.functional.image.conftest import ImageCloud


@pytest.fixture
def catalog(images: ImageCloud) -> Iterator[dict[str, dict[str, Any]]]:
    """Six images of project p-a, made one simulated second apart."""
    made = {}
    specs = [
        ("alpha", "raw", "bare", b"a" * 100, ["linux"], {"hw_disk_bus": "scsi"}),
        ("bravo", "raw", "ami", b"b" * 300, ["linux", "x86"], {}),
        ("charlie", "qcow2", "bare", None, [], {"hw_disk_bus": "virtio"}),
        ("delta", "iso", "bare", b"d" * 200, ["x86"], {}),
        ("echo", "raw", "bare", None, [], {}),
        (None, "raw", "bare", None, [], {}),
    ]
    for name, disk, container, data, tags, props in specs:
        clock.advance(1)
        image = images.create(
            name=name, disk_format=disk, container_format=container, tags=tags, **props
        )
        if data is not None:
            assert images.upload(image["id"], data).status_code == 204
        made[name or "unnamed"] = image
    yield made
    clock.reset()


def _names(images: ImageCloud, token: str = "a-member", **params: Any) -> list[str | None]:
    r = images.client.get("/v2/images", params=params, headers=images.headers(token))
    assert r.status_code == 200, r.text
    return [i["name"] for i in r.json()["images"]]


def test_default_order_is_newest_first(
    images: ImageCloud, catalog: dict[str, dict[str, Any]]
) -> None:
    assert _names(images) == [None, "echo", "delta", "charlie", "bravo", "alpha"]


def test_filters(images: ImageCloud, catalog: dict[str, dict[str, Any]]) -> None:
    assert _names(images, name="bravo") == ["bravo"]
    assert _names(images, name="in:alpha,delta") == ["delta", "alpha"]
    assert _names(images, status="active") == ["delta", "bravo", "alpha"]
    assert _names(images, status="queued", sort="name:asc") == [None, "charlie", "echo"]
    assert _names(images, disk_format="qcow2") == ["charlie"]
    assert _names(images, container_format="ami") == ["bravo"]
    assert _names(images, size_min=150, size_max=250) == ["delta"]
    assert _names(images, size=300) == ["bravo"]
    assert _names(images, tag="linux") == ["bravo", "alpha"]
    assert _names(images, tag=["linux", "x86"]) == ["bravo"]
    assert _names(images, hw_disk_bus="scsi") == ["alpha"]
    assert _names(images, owner="p-a", name="echo") == ["echo"]
    assert _names(images, owner="p-b") == []
    assert _names(images, id=f"in:{catalog['alpha']['id']},{catalog['echo']['id']}") == [
        "echo",
        "alpha",
    ]
    assert _names(images, visibility="private") == []
    assert _names(images, protected="false", name="alpha") == ["alpha"]
    checksum = images.show(catalog["alpha"]["id"]).json()["checksum"]
    assert _names(images, checksum=checksum) == ["alpha"]
    created = images.show(catalog["delta"]["id"]).json()["created_at"]
    assert _names(images, created_at=f"gte:{created}", sort="name:asc") == [None, "delta", "echo"]


def test_hidden_images(images: ImageCloud, catalog: dict[str, dict[str, Any]]) -> None:
    images.patch(catalog["alpha"]["id"], [{"op": "replace", "path": "/os_hidden", "value": True}])
    assert "alpha" not in _names(images)
    assert _names(images, os_hidden="true") == ["alpha"]


def test_sorting(images: ImageCloud, catalog: dict[str, dict[str, Any]]) -> None:
    assert _names(images, sort_key="name", sort_dir="asc") == [
        None,
        "alpha",
        "bravo",
        "charlie",
        "delta",
        "echo",
    ]
    assert _names(images, sort="name:desc") == ["echo", "delta", "charlie", "bravo", "alpha", None]
    by_size = _names(images, sort="size:desc,name:asc")
    assert by_size[:3] == ["bravo", "delta", "alpha"]
    assert by_size[3:] == [None, "charlie", "echo"]
    assert _names(images, sort_key=["disk_format", "name"], sort_dir=["asc", "desc"])[:2] == [
        "delta",
        "charlie",
    ]


@pytest.mark.parametrize(
    "sort", ["name:asc", "size:desc,name:asc", "created_at:asc", "updated_at:desc", "status:asc"]
)
def test_pagination_walks_every_image_once(
    images: ImageCloud, catalog: dict[str, dict[str, Any]], sort: str
) -> None:
    everything = _names(images, sort=sort)
    seen: list[str | None] = []
    url: str | None = f"/v2/images?limit=2&sort={sort}"
    pages = 0
    while url:
        r = images.client.get(url, headers=images.headers("a-member"))
        assert r.status_code == 200
        body = r.json()
        assert body["schema"] == "/v2/schemas/images"
        assert body["first"].startswith("/v2/images?")
        seen += [i["name"] for i in body["images"]]
        url = body.get("next")
        pages += 1
        if url:
            assert dict(parse_qsl(urlsplit(url).query))["limit"] == "2"
    assert seen == everything
    assert pages == 3


def test_limit_and_marker(images: ImageCloud, catalog: dict[str, dict[str, Any]]) -> None:
    r = images.client.get("/v2/images", params={"limit": 2}, headers=images.headers("a-member"))
    body = r.json()
    assert len(body["images"]) == 2 and "next" in body
    marker = body["images"][-1]["id"]
    assert body["next"] == f"/v2/images?limit=2&marker={marker}"
    assert _names(images, marker=marker) == ["delta", "charlie", "bravo", "alpha"]
    assert _names(images, limit=0) == []


@pytest.mark.parametrize(
    "params",
    [
        {"marker": "00000000-0000-0000-0000-000000000000"},
        {"marker": "not-a-uuid"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"sort_key": "bogus"},
        {"sort_dir": "sideways"},
        {"sort": "name:asc", "sort_key": "name"},
        {"visibility": "everyone"},
        {"member_status": "maybe"},
        {"size_min": "big"},
        {"os_hidden": "perhaps"},
    ],
)
def test_bad_list_parameters_are_400(images: ImageCloud, params: dict[str, str]) -> None:
    r = images.client.get("/v2/images", params=params, headers=images.headers("a-member"))
    assert r.status_code == 400, r.text
    assert r.json()["badRequest"]["code"] == 400


def test_marker_of_an_invisible_image_is_400(images: ImageCloud) -> None:
    image = images.create("b-member", visibility="private")
    r = images.client.get(
        "/v2/images", params={"marker": image["id"]}, headers=images.headers("a-member")
    )
    assert r.status_code == 400
