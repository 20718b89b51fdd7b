"""RpcClient version handling and the server-side version check."""

from __future__ import annotations

from typing import Any

import pytest

from stratus.common.exceptions import MessagingError
from stratus.messaging import RpcClient, Target, rpc
from stratus.messaging.bus import MessageBus, RpcServer, UnsupportedVersionError


class RecordingBus(MessageBus):
    """Remembers what was sent instead of sending it."""

    def __init__(self, reply: Any = None) -> None:
        self.sent: list[tuple[str, Target | str, str, dict[str, Any], float | None]] = []
        self.reply = reply

    def cast(self, target: Target, method: str, payload: dict[str, Any]) -> None:
        self.sent.append(("cast", target, method, payload, None))

    def call(
        self, target: Target, method: str, payload: dict[str, Any], timeout: float | None = None
    ) -> Any:
        self.sent.append(("call", target, method, payload, timeout))
        return self.reply

    def fanout(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        self.sent.append(("fanout", topic, method, payload, None))

    def serve(self, target: Target, endpoint: object, executor_threads: int = 8) -> RpcServer:
        raise NotImplementedError

    def close(self) -> None:
        pass


def test_client_sends_the_base_version_by_default() -> None:
    bus = RecordingBus()
    client = RpcClient(bus, Target("compute"), version_cap="5.3", timeout=7)
    client.cast("reboot", instance="i1")
    assert bus.sent == [
        ("cast", Target("compute", version="5.0"), "reboot", {"instance": "i1"}, None)
    ]
    client.call("ping")
    assert bus.sent[-1][1:] == (Target("compute", version="5.0"), "ping", {}, 7)


def test_prepare_returns_a_copy_for_a_server_and_version() -> None:
    bus = RecordingBus()
    client = RpcClient(bus, Target("compute"), version_cap="5.3")
    prepared = client.prepare(server="host1", version="5.2", timeout=3)
    prepared.call("build", x=1)
    assert bus.sent[-1][1:] == (Target("compute", "host1", "5.2"), "build", {"x": 1}, 3)
    assert client.target == Target("compute", version="5.0")
    assert client.timeout is None
    assert prepared.prepare(server=None).target == Target("compute", None, "5.2")


def test_versions_above_the_cap_are_refused() -> None:
    client = RpcClient(RecordingBus(), Target("compute"), version_cap="5.3")
    assert client.can_send_version("5.3")
    assert not client.can_send_version("5.4")
    assert not client.can_send_version("4.0")
    with pytest.raises(UnsupportedVersionError, match=r"version_cap is 5\.3"):
        client.prepare(version="5.4")
    with pytest.raises(UnsupportedVersionError):
        RpcClient(RecordingBus(), Target("compute", version="6.0"), version_cap="5.3")


def test_call_as_checks_the_reply_type() -> None:
    client = RpcClient(RecordingBus(reply=["not", "a", "dict"]), Target("s"), version_cap="1.0")
    assert client.call_as(list, "m") == ["not", "a", "dict"]
    with pytest.raises(MessagingError, match="returned list, expected dict"):
        client.call_as(dict, "m")


def test_fanout_goes_to_the_topic() -> None:
    bus = RecordingBus()
    RpcClient(bus, Target("scheduler", "h1"), version_cap="1.0").fanout("update", n=1)
    assert bus.sent == [("fanout", "scheduler", "update", {"n": 1}, None)]


class Endpoint:
    RPC_API_VERSION = "6.2"
    RPC_API_COMPAT_VERSIONS = ("5.13",)


@pytest.mark.parametrize("version", [None, "6.0", "6.2", "5.0", "5.13"])
def test_server_accepts_known_versions(version: str | None) -> None:
    rpc.check_version(rpc.endpoint_versions(Endpoint()), version, "X")


@pytest.mark.parametrize(
    ("version", "error"),
    [
        ("6.3", r"X speaks RPC API up to 6\.2, message needs 6\.3"),
        ("5.14", r"up to 5\.13"),
        ("7.0", r"does not know RPC API major version 7 .*speaks 6\.2, 5\.13"),
        ("latest", "malformed RPC version"),
    ],
)
def test_server_rejects_unknown_versions(version: str, error: str) -> None:
    with pytest.raises(UnsupportedVersionError, match=error):
        rpc.check_version(rpc.endpoint_versions(Endpoint()), version, "X")


def test_endpoints_default_to_version_1_0() -> None:
    assert rpc.endpoint_versions(object()) == ((1, 0),)
