"""Who gets which metadata: identification by address and MAC, and the HTTP server on loopback.

The server runs for real on 127.0.0.1 with a fake conductor lookup and a fake neighbour table:
the caller is 127.0.0.1, so the tests decide which instance (if any) that address belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from tests.unit.network.metadata.samples import NET, metadata

from stratus.network.metadata import netns
from stratus.network.metadata.server import CachedLookup, MetadataServer, identify
from stratus.objects.metadata import InstanceMetadata

A = metadata(uuid="3d8a7f6e-0000-4000-8000-00000000000a", name="a", ip="127.0.0.1",
             mac="fa:16:3e:00:00:0a")  # fmt: skip
B = metadata(uuid="3d8a7f6e-0000-4000-8000-00000000000b", name="b", ip="10.0.0.6",
             mac="fa:16:3e:00:00:0b")  # fmt: skip


class Lookup:
    def __init__(self, *known: InstanceMetadata) -> None:
        self.known = {
            (v.network_id, ip.address): md for md in known for v in md.vifs for ip in v.fixed_ips
        }
        self.calls: list[tuple[str, str]] = []
        self.error: Exception | None = None

    def __call__(self, network_id: str, ip: str) -> InstanceMetadata | None:
        self.calls.append((network_id, ip))
        if self.error is not None:
            raise self.error
        return self.known.get((network_id, ip))


class Neighbours:
    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def mac_of(self, ip: str) -> str | None:
        return self.table.get(ip)


def test_identify_own_address_and_mac() -> None:
    caller = identify(NET, "10.0.0.6", Lookup(A, B), Neighbours({"10.0.0.6": "fa:16:3e:00:00:0b"}))
    assert caller.metadata is B


def test_identify_unknown_address() -> None:
    caller = identify(NET, "10.0.0.99", Lookup(A, B), Neighbours({}))
    assert caller.metadata is None and "no instance has address 10.0.0.99" in caller.reason


def test_identify_other_network() -> None:
    caller = identify("other-net", "10.0.0.6", Lookup(A, B), Neighbours({}))
    assert caller.metadata is None


def test_identify_refuses_a_stolen_address() -> None:
    """B's guest configured A's address but kept its own MAC: the neighbour table shows it."""
    neighbours = Neighbours({"127.0.0.1": "FA:16:3E:00:00:0B"})
    caller = identify(NET, "127.0.0.1", Lookup(A, B), neighbours)
    assert caller.metadata is None
    assert "answers from fa:16:3e:00:00:0b" in caller.reason.lower()


def test_identify_needs_a_neighbour_entry() -> None:
    caller = identify(NET, "10.0.0.6", Lookup(A, B), Neighbours({}))
    assert caller.metadata is None and "no neighbour entry" in caller.reason


def test_identify_accepts_mac_in_any_case() -> None:
    caller = identify(NET, "10.0.0.6", Lookup(B), Neighbours({"10.0.0.6": "FA:16:3E:00:00:0B"}))
    assert caller.metadata is B


def test_cached_lookup_keeps_answers_for_a_while() -> None:
    now = [100.0]
    inner = Lookup(B)
    cached = CachedLookup(inner, ttl=5, clock=lambda: now[0])
    assert cached(NET, "10.0.0.6") is B
    assert cached(NET, "10.0.0.6") is B
    assert cached(NET, "10.0.0.99") is None
    assert cached(NET, "10.0.0.99") is None
    assert inner.calls == [(NET, "10.0.0.6"), (NET, "10.0.0.99"), (NET, "10.0.0.99")]
    now[0] += 6
    assert cached(NET, "10.0.0.6") is B
    assert len(inner.calls) == 4


@pytest.fixture
def served() -> Iterator[tuple[str, Lookup, Neighbours]]:
    lookup = Lookup(A, B)
    neighbours = Neighbours({"127.0.0.1": "fa:16:3e:00:00:0a"})
    sock = netns.listen("127.0.0.1", 0)
    closed: list[bool] = []
    server = MetadataServer(
        NET, sock, lookup, neighbours, on_close=lambda: closed.append(True), poll_interval=0.05
    )
    server.start()
    host, port = server.address
    try:
        yield f"http://{host}:{port}", lookup, neighbours
    finally:
        server.stop()
        server.stop()  # idempotent
        assert closed == [True]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{host}:{port}/", timeout=2)


def test_server_answers_the_caller_with_its_own_data(
    served: tuple[str, Lookup, Neighbours],
) -> None:
    url, _lookup, _n = served
    r = httpx.get(f"{url}/openstack/latest/meta_data.json", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json()["uuid"] == A.instance.uuid
    assert httpx.get(f"{url}/latest/meta-data/hostname", timeout=5).text == "a"
    assert httpx.head(f"{url}/latest/meta-data/hostname", timeout=5).status_code == 200


def test_forged_headers_change_nothing(served: tuple[str, Lookup, Neighbours]) -> None:
    url, lookup, _n = served
    forged = {
        "X-Forwarded-For": "10.0.0.6",
        "X-Instance-ID": B.instance.uuid,
        "X-Real-IP": "10.0.0.6",
        "Host": "10.0.0.6",
    }
    r = httpx.get(f"{url}/openstack/latest/meta_data.json", headers=forged, timeout=5)
    assert r.json()["uuid"] == A.instance.uuid
    assert all(ip == "127.0.0.1" for _net, ip in lookup.calls)


def test_unknown_caller_gets_404(served: tuple[str, Lookup, Neighbours]) -> None:
    url, lookup, _n = served
    lookup.known.clear()
    r = httpx.get(f"{url}/openstack/latest/meta_data.json", timeout=5)
    assert r.status_code == 404
    assert A.instance.uuid not in r.text


def test_wrong_mac_gets_404(served: tuple[str, Lookup, Neighbours]) -> None:
    url, _lookup, neighbours = served
    neighbours.table["127.0.0.1"] = "fa:16:3e:00:00:0b"
    assert httpx.get(f"{url}/openstack/latest/meta_data.json", timeout=5).status_code == 404


def test_missing_path_is_404_and_writes_are_405(served: tuple[str, Lookup, Neighbours]) -> None:
    url, _lookup, _n = served
    assert httpx.get(f"{url}/openstack/latest/secret", timeout=5).status_code == 404
    r = httpx.post(f"{url}/openstack/latest/password", content=b"x", timeout=5)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_conductor_failure_is_503(served: tuple[str, Lookup, Neighbours]) -> None:
    url, lookup, _n = served
    lookup.error = TimeoutError("conductor did not answer")
    r = httpx.get(f"{url}/latest/meta-data/", timeout=5)
    assert r.status_code == 503


def test_network_data_reaches_the_guest(served: tuple[str, Lookup, Neighbours]) -> None:
    url, _lookup, _n = served
    data = json.loads(httpx.get(f"{url}/openstack/2018-08-27/network_data.json", timeout=5).text)
    assert data["links"][0]["ethernet_mac_address"] == "fa:16:3e:00:00:0a"
