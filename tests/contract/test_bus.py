"""The MessageBus contract: every transport (memory://, rabbit://) must pass every test here."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from stratus.common import context
from stratus.common.exceptions import (
    Conflict,
    MessagingTimeout,
    NotFound,
    RemoteError,
)
from stratus.common.log import ContextFilter
from stratus.messaging import MessageBus, RpcClient, RpcServer, Target, get_bus, rpc_method
from stratus.messaging.bus import NoSuchMethodError, UnsupportedVersionError
from stratus.objects.base import VersionedObject
from tests.fixtures.rabbit import RabbitBroker
from tests.fixtures.waiting import scaled

LOG = logging.getLogger("tests.contract.bus_endpoint")
WAIT = scaled(30.0)  # upper bound for anything that should happen "soon"


class BusTestFlavor(VersionedObject):
    # Version 1.0: initial version
    VERSION = "1.0"

    id: str
    ram_mb: int
    extra_specs: dict[str, str] = {}
    created_at: datetime


class InstanceLocked(Conflict):
    """A StratusError subclass the caller does not know: arrives as its known base class."""


class Endpoint:
    RPC_API_VERSION = "1.2"

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: queue.Queue[tuple[str, Any]] = queue.Queue()

    @rpc_method
    def whoami(self) -> str:
        return self.name

    @rpc_method
    def echo(self, value: Any, delay: float = 0.0) -> Any:
        time.sleep(delay)
        return value

    @rpc_method
    def grow(self, flavor: BusTestFlavor, by: int, tags: list[str]) -> dict[str, Any]:
        assert isinstance(flavor, BusTestFlavor)
        bigger = flavor.model_copy(update={"ram_mb": flavor.ram_mb + by})
        return {"flavor": bigger, "tags": [*tags, self.name]}

    @rpc_method
    def record(self, n: int) -> None:
        self.received.put((self.name, n))

    @rpc_method
    def not_found(self, what: str) -> None:
        raise NotFound(f"Flavor {what} could not be found.")

    @rpc_method
    def locked(self) -> None:
        raise InstanceLocked("Instance is locked.")

    @rpc_method
    def broken(self) -> None:
        raise ValueError("disk full")

    @rpc_method
    def request_id(self) -> str | None:
        LOG.info("serving request_id")
        ctx = context.current()
        return ctx.request_id if ctx else None

    @rpc_method
    def _private(self) -> str:
        return "never"

    def not_exposed(self) -> str:
        return "never"


def drain(q: queue.Queue[tuple[str, Any]], count: int, timeout: float = WAIT) -> list[Any]:
    """``count`` items from ``q`` (fails the test if they do not arrive in time)."""
    deadline = time.monotonic() + timeout
    items = []
    for _ in range(count):
        items.append(q.get(timeout=max(deadline - time.monotonic(), 0.01)))
    return items


@pytest.fixture(params=["memory", pytest.param("rabbit", marks=pytest.mark.rabbit)])
def bus_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return f"memory://contract-{uuid.uuid4().hex[:8]}"
    url: str = request.getfixturevalue("rabbit_url")
    return url


@pytest.fixture
def new_bus(bus_url: str) -> Iterator[Callable[[], MessageBus]]:
    """Make buses on the test's transport (one per simulated process); all closed afterwards."""
    buses: list[MessageBus] = []

    def make() -> MessageBus:
        buses.append(get_bus(bus_url, default_timeout=WAIT))
        return buses[-1]

    yield make
    for bus in buses:
        bus.close()


@pytest.fixture
def bus(new_bus: Callable[[], MessageBus]) -> MessageBus:
    return new_bus()


@pytest.fixture
def topic() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def test_call_returns_the_value(bus: MessageBus, topic: str) -> None:
    bus.serve(Target(topic, "host1"), Endpoint("host1"))
    assert bus.call(Target(topic), "whoami", {}) == "host1"
    value = {"a": [1, 2.5, None, True], "b": {"c": "d"}}
    assert bus.call(Target(topic), "echo", {"value": value}) == value


def test_call_round_trips_versioned_objects(bus: MessageBus, topic: str) -> None:
    bus.serve(Target(topic, "host1"), Endpoint("host1"))
    flavor = BusTestFlavor(
        id="f1",
        ram_mb=512,
        extra_specs={"hw:cpu": "1"},
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    result = bus.call(Target(topic), "grow", {"flavor": flavor, "by": 256, "tags": ("x",)})
    assert result["tags"] == ["x", "host1"]
    assert isinstance(result["flavor"], BusTestFlavor)
    assert result["flavor"] == flavor.model_copy(update={"ram_mb": 768})


def test_call_times_out_when_nobody_serves_the_topic(bus: MessageBus, topic: str) -> None:
    start = time.monotonic()
    with pytest.raises(MessagingTimeout) as err:
        bus.call(Target(topic, "host9"), "build_instance", {}, timeout=0.5)
    # NOTE: the call's own timeout, not the bus default (WAIT), ends the wait.
    assert time.monotonic() - start < 0.5 + scaled(8) < WAIT
    assert f"{topic}.build_instance" in str(err.value)
    assert f"topic '{topic}' server 'host9'" in str(err.value)
    assert f"stratus-{topic}" in str(err.value)


def test_remote_stratus_errors_keep_their_class(bus: MessageBus, topic: str) -> None:
    bus.serve(Target(topic), Endpoint("host1"))
    with pytest.raises(NotFound) as err:
        bus.call(Target(topic), "not_found", {"what": "m1.tiny"})
    assert err.value.message == "Flavor m1.tiny could not be found."
    with pytest.raises(Conflict) as conflict:
        bus.call(Target(topic), "locked", {})
    assert conflict.value.message == "Instance is locked."


def test_other_remote_exceptions_become_remote_error(bus: MessageBus, topic: str) -> None:
    bus.serve(Target(topic), Endpoint("host1"))
    with pytest.raises(RemoteError) as err:
        bus.call(Target(topic), "broken", {})
    assert err.value.exc_type == "ValueError"
    assert err.value.value == "disk full"


@pytest.mark.parametrize("method", ["not_exposed", "_private", "no_such_method"])
def test_only_rpc_methods_can_be_called(bus: MessageBus, topic: str, method: str) -> None:
    bus.serve(Target(topic), Endpoint("host1"))
    with pytest.raises(NoSuchMethodError, match=method):
        bus.call(Target(topic), method, {})


def test_cast_reaches_exactly_one_of_the_servers(
    new_bus: Callable[[], MessageBus], topic: str
) -> None:
    endpoints = [Endpoint("host1"), Endpoint("host2")]
    received: queue.Queue[tuple[str, Any]] = queue.Queue()
    for endpoint in endpoints:
        endpoint.received = received
        new_bus().serve(Target(topic, endpoint.name), endpoint)
    sender = new_bus()
    for n in range(20):
        sender.cast(Target(topic), "record", {"n": n})
    got = drain(received, 20)
    time.sleep(0.3)
    assert received.empty(), "a cast was delivered twice"
    assert sorted(n for _, n in got) == list(range(20))
    assert {name for name, _ in got} == {"host1", "host2"}, "servers should compete"


def test_messages_to_a_server_reach_only_that_server(bus: MessageBus, topic: str) -> None:
    one, two = Endpoint("host1"), Endpoint("host2")
    bus.serve(Target(topic, "host1"), one)
    bus.serve(Target(topic, "host2"), two)
    for _ in range(5):
        assert bus.call(Target(topic, "host2"), "whoami", {}) == "host2"
    for n in range(5):
        bus.cast(Target(topic, "host1"), "record", {"n": n})
    assert [n for _, n in drain(one.received, 5)] == list(range(5))
    time.sleep(0.3)
    assert two.received.empty()


def test_fanout_reaches_every_server(new_bus: Callable[[], MessageBus], topic: str) -> None:
    endpoints = [Endpoint(f"host{i}") for i in range(3)]
    for endpoint in endpoints:
        new_bus().serve(Target(topic, endpoint.name), endpoint)
    other = Endpoint("elsewhere")
    new_bus().serve(Target(f"{topic}x", "host0"), other)
    new_bus().fanout(topic, "record", {"n": 7})
    for endpoint in endpoints:
        assert drain(endpoint.received, 1) == [(endpoint.name, 7)]
    time.sleep(0.3)
    assert all(e.received.empty() for e in endpoints)
    assert other.received.empty()


def test_concurrent_calls_get_their_own_replies(
    new_bus: Callable[[], MessageBus], topic: str
) -> None:
    new_bus().serve(Target(topic, "host1"), Endpoint("host1"), executor_threads=4)
    new_bus().serve(Target(topic, "host2"), Endpoint("host2"), executor_threads=4)
    client = new_bus()
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            for j in range(10):
                value = f"{i}-{j}"
                assert client.call(Target(topic), "echo", {"value": value, "delay": 0.01}) == value
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), "some calls never returned"


def test_request_context_travels_to_the_server(bus: MessageBus, topic: str) -> None:
    seen: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(getattr(record, "request_id", "?"))

    handler = Capture()
    handler.addFilter(ContextFilter())
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    try:
        bus.serve(Target(topic), Endpoint("host1"))
        ctx = context.RequestContext(request_id="req-contract-1", user_id="u1", auth_token="x")
        with context.bound(ctx):
            assert bus.call(Target(topic), "request_id", {}) == "req-contract-1"
        assert seen == ["req-contract-1"]
        assert bus.call(Target(topic), "request_id", {}) is None
    finally:
        LOG.removeHandler(handler)


def test_stop_stops_delivery_and_keeps_queued_messages(
    new_bus: Callable[[], MessageBus], topic: str
) -> None:
    first = Endpoint("host1")
    server: RpcServer = new_bus().serve(Target(topic, "host1"), first)
    assert new_bus().call(Target(topic), "whoami", {}) == "host1"
    server.stop()
    server.stop()  # idempotent
    sender = new_bus()
    sender.cast(Target(topic), "record", {"n": 1})
    sender.cast(Target(topic, "host1"), "record", {"n": 2})
    time.sleep(0.5)
    assert first.received.empty()
    second = Endpoint("host1")
    new_bus().serve(Target(topic, "host1"), second)
    assert sorted(n for _, n in drain(second.received, 2)) == [1, 2]


def test_rpc_client_versions(bus: MessageBus, topic: str) -> None:
    bus.serve(Target(topic, "host1"), Endpoint("host1"))
    client = RpcClient(bus, Target(topic), version_cap="1.2")
    assert client.call("whoami") == "host1"
    assert client.prepare(server="host1", version="1.2").call_as(str, "whoami") == "host1"
    too_new = RpcClient(bus, Target(topic), version_cap="1.3").prepare(version="1.3")
    with pytest.raises(UnsupportedVersionError, match=r"up to 1\.2"):
        too_new.call("whoami")
    other_major = RpcClient(bus, Target(topic), version_cap="2.0")
    with pytest.raises(UnsupportedVersionError, match="major version 2"):
        other_major.call("whoami")


@pytest.mark.rabbit
def test_rabbit_bus_recovers_after_a_broker_restart(rabbit_broker: RabbitBroker) -> None:
    """Same bus and server objects before and after; a cast sent while down is not lost."""
    if not rabbit_broker.can_restart:
        pytest.skip("the broker comes from STRATUS_TEST_RABBIT_URL; cannot restart it")
    topic = f"t{uuid.uuid4().hex[:10]}"
    endpoint = Endpoint("host1")
    with get_bus(rabbit_broker.url, default_timeout=60.0) as bus:
        bus.serve(Target(topic, "host1"), endpoint)
        assert bus.call(Target(topic), "whoami", {}) == "host1"

        rabbit_broker.stop()
        start = time.monotonic()
        with pytest.raises(MessagingTimeout):
            bus.call(Target(topic), "whoami", {}, timeout=1.0)
        assert time.monotonic() - start < 1.0 + scaled(20)  # not the bus default of 60 s
        sent_while_down = threading.Thread(
            target=bus.cast, args=(Target(topic), "record", {"n": 0}), daemon=True
        )
        sent_while_down.start()

        rabbit_broker.start()
        sent_while_down.join(scaled(60.0))
        assert not sent_while_down.is_alive(), "a cast sent while the broker was down hung"
        assert bus.call(Target(topic), "whoami", {}, timeout=scaled(30.0)) == "host1"
        assert bus.call(Target(topic, "host1"), "whoami", {}) == "host1"
        bus.cast(Target(topic, "host1"), "record", {"n": 1})
        bus.fanout(topic, "record", {"n": 2})
        assert sorted(n for _, n in drain(endpoint.received, 3)) == [0, 1, 2]
