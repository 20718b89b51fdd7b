"""Every networking list is paged: ``[network] pagination_max_limit`` caps a page, and stands in
for a missing or zero ``limit`` (Neutron's behaviour once the option is set), with ``next``
links to the rest (issue 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stratus.common.config import Config
from tests.fixtures.cloud import make_config
from tests.functional.network.conftest import Net

PAGE = 3


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str) -> Config:
    return make_config(tmp_path / "state", db_url, network={"pagination_max_limit": PAGE})


def _all_pages(net: Net, collection: str) -> list[list[str]]:
    key = collection.replace("-", "_")
    pages: list[list[str]] = []
    url: str | None = f"/v2.0/{collection}"
    while url is not None:
        r = net.client.get(url, headers=net.headers)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        pages.append([item["id"] for item in body[key]])
        nxt = [link for link in body.get(f"{key}_links", []) if link["rel"] == "next"]
        url = nxt[0]["href"] if nxt else None
        assert len(pages) <= 10, "the next links do not end"
    return pages


def _fill(alice: Net) -> None:
    """More than a page of each collection for alice."""
    for i in range(PAGE + 1):
        net, _sub = alice.network_with_subnet(cidr=f"192.168.{i}.0/24")
        alice.create("port", network_id=net["id"])
        alice.create("security_group", name=f"sg{i}")


@pytest.mark.parametrize(
    "collection", ["networks", "subnets", "ports", "security-groups", "security-group-rules"]
)
def test_a_list_without_limit_is_paged_with_next_links(alice: Net, collection: str) -> None:
    _fill(alice)
    pages = _all_pages(alice, collection)
    key = collection.replace("-", "_")
    ids = [i for page in pages for i in page]
    assert len(pages) > 1 and all(len(p) == PAGE for p in pages[:-1]) and len(pages[-1]) <= PAGE
    assert len(ids) == len(set(ids)) > PAGE
    everything = alice.get(f"/v2.0/{collection}?limit={len(ids)}").json()[key]
    assert len(everything) == PAGE  # a bigger limit is capped too


def test_limit_zero_means_one_full_page(alice: Net) -> None:
    _fill(alice)
    body = alice.get("/v2.0/networks?limit=0").json()
    assert len(body["networks"]) == PAGE
    assert [link["rel"] for link in body["networks_links"]] == ["next"]


def test_a_short_list_has_no_links(bob: Net) -> None:
    body = bob.get("/v2.0/networks").json()
    assert len(body["networks"]) < PAGE and "networks_links" not in body


def test_minus_one_means_unlimited(cloud_config: Config, alice: Net) -> None:
    cloud_config.network.pagination_max_limit = -1
    _fill(alice)
    body = alice.get("/v2.0/networks").json()
    assert len(body["networks"]) > PAGE and "networks_links" not in body
