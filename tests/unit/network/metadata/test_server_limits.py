"""Guests cannot tie a metadata server up: a slow client is cut off after its deadline, and the
number of connections served at once is bounded (issue 7)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
from tests.fixtures.waiting import scaled, wait_until
from tests.unit.network.metadata.samples import NET
from tests.unit.network.metadata.test_server import A, Lookup, Neighbours

from stratus.network.metadata import netns
from stratus.network.metadata.server import MetadataServer

DEADLINE = 1.0


@contextlib.contextmanager
def serving(
    lookup: Lookup | None = None, max_connections: int = 32, deadline: float = DEADLINE
) -> Iterator[MetadataServer]:
    server = MetadataServer(
        NET,
        netns.listen("127.0.0.1", 0),
        lookup or Lookup(A),
        Neighbours({"127.0.0.1": "fa:16:3e:00:00:0a"}),
        poll_interval=0.05,
        max_connections=max_connections,
        deadline=deadline,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _closed_by_server(sock: socket.socket) -> bool:
    """Send one more byte, then see whether the server has hung up (b"" or an error)."""
    try:
        sock.sendall(b"x")
        return sock.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_a_client_sending_a_byte_at_a_time_is_cut_off() -> None:
    """Each byte arrives well within the 10 s read timeout; the request never completes."""
    with serving() as server, socket.create_connection(server.address) as slow:
        slow.settimeout(0.2)
        slow.sendall(b"GET /openstack/latest/meta_data.json HTTP/1.0\r\nX-Slow: ")
        wait_until(lambda: _closed_by_server(slow), 30, "the slow client to be cut off")
        wait_until(lambda: server.connections == 0, 30, "its connection to be forgotten")
        # the server still serves others
        url = f"http://{server.address[0]}:{server.address[1]}/latest/meta-data/hostname"
        assert httpx.get(url, timeout=scaled(10)).text == "a"


def test_connections_beyond_the_limit_get_503_until_one_closes() -> None:
    with serving(max_connections=2, deadline=300) as server:
        idle = [socket.create_connection(server.address) for _ in range(2)]
        try:
            wait_until(lambda: server.connections == 2, 30, "two connections being served")
            with socket.create_connection(server.address, timeout=scaled(10)) as third:
                assert third.recv(1024).startswith(b"HTTP/1.0 503 ")
            assert server.connections == 2
        finally:
            idle.pop().close()
        wait_until(lambda: server.connections == 1, 30, "the closed connection to be forgotten")
        url = f"http://{server.address[0]}:{server.address[1]}/latest/meta-data/hostname"
        assert httpx.get(url, timeout=scaled(10)).text == "a"
        idle.pop().close()


class SlowLookup(Lookup):
    """A conductor that answers only when the test says so."""

    def __init__(self) -> None:
        super().__init__(A)
        self.asked = threading.Event()
        self.answer = threading.Event()

    def __call__(self, network_id: str, ip: str) -> object:  # type: ignore[override]
        self.asked.set()
        self.answer.wait(scaled(60))
        return super().__call__(network_id, ip)


def test_the_servers_own_time_is_not_the_clients() -> None:
    lookup = SlowLookup()
    with serving(lookup) as server:
        url = f"http://{server.address[0]}:{server.address[1]}/latest/meta-data/hostname"
        result: list[httpx.Response] = []
        client = threading.Thread(target=lambda: result.append(httpx.get(url, timeout=60)))
        client.start()
        wait_until(lookup.asked.is_set, 30, "the lookup")
        time.sleep(DEADLINE * 3)  # NOTE: then asserting that the client was not cut off
        lookup.answer.set()
        client.join(scaled(60))
    assert result and result[0].status_code == 200 and result[0].text == "a"


def test_server_stop_cuts_off_open_connections() -> None:
    with serving(deadline=300) as server:
        idle = socket.create_connection(server.address)
        wait_until(lambda: server.connections == 1, 30, "the connection being served")
    idle.settimeout(scaled(10))
    assert idle.recv(1024) == b""
    idle.close()
