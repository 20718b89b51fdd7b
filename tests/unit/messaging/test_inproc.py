"""Edge cases of the in-process bus that the transport contract does not pin down."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from stratus.common.exceptions import MessagingError, MessagingTimeout, RemoteError
from stratus.messaging import Target, inproc, rpc_method
from stratus.messaging.inproc import InProcBus


class Endpoint:
    def __init__(self) -> None:
        self.received: queue.Queue[Any] = queue.Queue()

    @rpc_method
    def record(self, value: Any) -> None:
        self.received.put(value)

    @rpc_method
    def mutate(self, items: list[Any]) -> list[Any]:
        items.append("server")
        return items

    @rpc_method
    def unserialisable(self) -> object:
        return {1, 2}

    @rpc_method
    def explode(self) -> None:
        raise RuntimeError("cast went wrong")


@pytest.fixture
def url() -> Iterator[str]:
    name = f"memory://unit-{uuid.uuid4().hex[:8]}"
    yield name
    assert not any(key.startswith(name) for key in inproc._BROKERS), "a bus was left open"


def test_buses_with_the_same_url_share_a_broker(url: str) -> None:
    with InProcBus(url, default_timeout=2) as a, InProcBus(url + "/") as b:
        endpoint = Endpoint()
        a.serve(Target("svc"), endpoint)
        b.cast(Target("svc"), "record", {"value": 1})
        assert endpoint.received.get(timeout=2) == 1


def test_buses_with_other_urls_are_separate(url: str) -> None:
    with InProcBus(url) as a, InProcBus(url + "-other") as b:
        a.serve(Target("svc"), Endpoint())
        with pytest.raises(MessagingTimeout):
            b.call(Target("svc"), "record", {"value": 1}, timeout=0.2)


def test_a_cast_waits_for_the_first_server(url: str) -> None:
    with InProcBus(url) as bus:
        bus.cast(Target("svc"), "record", {"value": "early"})
        bus.cast(Target("svc", "h1"), "record", {"value": "early-direct"})
        endpoint = Endpoint()
        bus.serve(Target("svc", "h1"), endpoint)
        got = {endpoint.received.get(timeout=2), endpoint.received.get(timeout=2)}
        assert got == {"early", "early-direct"}


def test_a_call_nobody_answered_in_time_is_never_run(url: str) -> None:
    with InProcBus(url) as bus:
        with pytest.raises(MessagingTimeout):
            bus.call(Target("svc"), "record", {"value": "stale"}, timeout=0.1)
        endpoint = Endpoint()
        bus.serve(Target("svc"), endpoint)
        bus.cast(Target("svc"), "record", {"value": "fresh"})
        assert endpoint.received.get(timeout=2) == "fresh"
        assert endpoint.received.empty()


def test_fanout_without_servers_is_dropped(url: str) -> None:
    with InProcBus(url) as bus:
        bus.fanout("svc", "record", {"value": "lost"})
        endpoint = Endpoint()
        bus.serve(Target("svc"), endpoint)
        bus.cast(Target("svc"), "record", {"value": "kept"})
        assert endpoint.received.get(timeout=2) == "kept"
        assert endpoint.received.empty()


def test_payloads_really_cross_a_json_boundary(url: str) -> None:
    with InProcBus(url) as bus:
        bus.serve(Target("svc"), Endpoint())
        items: list[Any] = [("a", 1)]
        assert bus.call(Target("svc"), "mutate", {"items": items}) == [["a", 1], "server"]
        assert items == [("a", 1)], "the server must get a copy, not the caller's object"
        with pytest.raises(RemoteError, match="TypeError"):
            bus.call(Target("svc"), "unserialisable", {})


def test_bad_payloads_fail_on_the_sending_side(url: str) -> None:
    with InProcBus(url) as bus:
        with pytest.raises(TypeError, match="must be a dict"):
            bus.cast(Target("svc"), "record", [1])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"payload\.value"):
            bus.call(Target("svc"), "record", {"value": object()}, timeout=5)


def test_errors_in_casts_are_logged_on_the_server(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    done = threading.Event()
    handler = logging.Handler()
    handler.emit = lambda record: done.set()  # type: ignore[method-assign]
    logging.getLogger("stratus.messaging.envelope").addHandler(handler)
    try:
        with InProcBus(url) as bus:
            bus.serve(Target("svc"), Endpoint())
            bus.cast(Target("svc"), "explode", {})
            assert done.wait(2)
    finally:
        logging.getLogger("stratus.messaging.envelope").removeHandler(handler)
    assert "svc.explode failed" in caplog.text
    assert "cast went wrong" in caplog.text


def test_close_stops_servers_and_refuses_further_use(url: str) -> None:
    bus = InProcBus(url)
    endpoint = Endpoint()
    bus.serve(Target("svc"), endpoint)
    bus.close()
    bus.close()  # idempotent
    for send in (
        lambda: bus.cast(Target("svc"), "record", {"value": 1}),
        lambda: bus.call(Target("svc"), "record", {"value": 1}),
        lambda: bus.fanout("svc", "record", {"value": 1}),
        lambda: bus.serve(Target("svc"), Endpoint()),
    ):
        with pytest.raises(MessagingError, match="closed"):
            send()
    with InProcBus(url) as other:
        other.cast(Target("svc"), "record", {"value": 1})
    assert endpoint.received.empty()
