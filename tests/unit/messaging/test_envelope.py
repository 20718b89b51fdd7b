"""Request dispatch and how remote failures come back."""

from __future__ import annotations

import json

import pytest

from stratus.common.exceptions import (
    Conflict,
    MessagingTimeout,
    NotFound,
    QuotaExceeded,
    RemoteError,
    StratusError,
)
from stratus.messaging import Target, envelope, rpc_method
from stratus.messaging.bus import NoSuchMethodError, UnsupportedVersionError


class AlreadyRunning(Conflict):
    """Defined outside stratus.common.exceptions: travels as its nearest known base."""


def failure_of(error: BaseException) -> dict[str, object]:
    return json.loads(json.dumps(envelope.encode_failure(error)))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "error", [NotFound("gone"), QuotaExceeded("too many"), MessagingTimeout("x")]
)
def test_common_errors_come_back_as_the_same_class(error: StratusError) -> None:
    with pytest.raises(type(error)) as raised:
        envelope.raise_failure(failure_of(error))
    assert type(raised.value) is type(error)
    assert raised.value.message == error.message


def test_messaging_errors_defined_by_the_bus_come_back_too() -> None:
    with pytest.raises(UnsupportedVersionError, match="old"):
        envelope.raise_failure(failure_of(UnsupportedVersionError("old")))


def test_unknown_stratus_errors_come_back_as_their_known_base() -> None:
    with pytest.raises(Conflict) as raised:
        envelope.raise_failure(failure_of(AlreadyRunning("busy")))
    assert type(raised.value) is Conflict
    assert raised.value.message == "busy"


def test_other_errors_and_nested_remote_errors_become_remote_error() -> None:
    with pytest.raises(RemoteError) as raised:
        envelope.raise_failure(failure_of(KeyError("k")))
    assert (raised.value.exc_type, raised.value.value) == ("KeyError", "'k'")
    with pytest.raises(RemoteError) as nested:
        envelope.raise_failure(failure_of(RemoteError("OSError", "disk")))
    assert (nested.value.exc_type, nested.value.value) == ("OSError", "disk")


def test_a_failure_naming_an_arbitrary_class_is_not_imported() -> None:
    forged = {"class": "os.system", "bases": ["os.system", "subprocess.Popen"], "message": "x"}
    with pytest.raises(RemoteError):
        envelope.raise_failure(forged)


class Endpoint:
    @rpc_method
    def add(self, a: int, b: int) -> int:
        return a + b

    @rpc_method
    def nan(self) -> float:
        return float("nan")


def handle(body: bytes) -> dict[str, object] | None:
    reply = envelope.Dispatcher(Target("calc"), Endpoint()).handle(body)
    return None if reply is None else json.loads(reply)


def test_dispatcher_answers_calls_and_not_casts() -> None:
    assert handle(envelope.encode_request(Target("calc"), "add", {"a": 1, "b": 2}, "m1")) == {
        "msg_id": "m1",
        "result": 3,
    }
    assert handle(envelope.encode_request(Target("calc"), "add", {"a": 1, "b": 2}, None)) is None


def test_dispatcher_reports_bad_arguments_and_methods() -> None:
    reply = handle(envelope.encode_request(Target("calc"), "add", {"a": 1}, "m2"))
    assert reply is not None
    with pytest.raises(RemoteError, match="TypeError"):
        envelope.unpack_reply(reply)
    reply = handle(envelope.encode_request(Target("calc"), "sub", {}, "m3"))
    assert reply is not None
    with pytest.raises(NoSuchMethodError, match=r"Endpoint on topic 'calc' \(sub\)"):
        envelope.unpack_reply(reply)


def test_dispatcher_answers_even_when_the_result_is_not_json() -> None:
    reply = handle(envelope.encode_request(Target("calc"), "nan", {}, "m4"))
    assert reply is not None
    with pytest.raises(RemoteError, match="ValueError"):
        envelope.unpack_reply(reply)


def test_dispatcher_drops_garbage(caplog: pytest.LogCaptureFixture) -> None:
    assert handle(b"\xff not json") is None
    assert handle(b"[1, 2]") is None
    assert "dropping undecodable message" in caplog.text


def test_replies_for_callers_that_gave_up_are_dropped() -> None:
    waiters = envelope.ReplyWaiters()
    slot = waiters.register("m1")
    waiters.deliver(b'{"msg_id": "other", "result": 1}')
    waiters.deliver(b"garbage")
    assert slot.wait(0.01) is None
    waiters.deliver(b'{"msg_id": "m1", "result": 2}')
    assert slot.wait(0.01) == {"msg_id": "m1", "result": 2}
