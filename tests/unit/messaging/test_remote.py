"""One definition per RPC surface: what a declared method sends, what it makes of the reply, and
the checks that keep an endpoint in step with its surface."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.messaging.test_rpc import RecordingBus

from stratus.common.exceptions import MessagingError
from stratus.messaging import RpcClient, Target, remote
from stratus.messaging.bus import UnsupportedVersionError, is_rpc_method, rpc_method
from stratus.objects.flavor import Flavor
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.rpcapi.scheduler import SchedulerAPI


class PetAPI(RpcClient):
    def __init__(self, bus: RecordingBus, cap: str = "1.1") -> None:
        super().__init__(bus, Target("pets"), cap, timeout=5)

    @remote.cast(server="host")
    def feed(self, host: str, pet: str, grams: int = 10) -> None:
        """Feed ``pet`` on ``host``."""

    @remote.call
    def names(self, kind: str) -> list[str]:
        """Pets of a kind."""

    @remote.call(since="1.1", timeout=1.0)
    def flavor(self, pet: str) -> Flavor | None:
        """Declared in 1.1, with a short timeout."""

    @remote.call
    def weight(self, pet: str) -> Flavor:
        """A wire object the reply must be."""

    @remote.fanout
    def bell(self, loud: bool) -> None:
        """Every server hears it."""


def test_a_cast_goes_to_its_server_with_the_other_arguments_in_order() -> None:
    bus = RecordingBus()
    PetAPI(bus).feed("h1", "rex")
    assert bus.sent == [
        ("cast", Target("pets", "h1", "1.0"), "feed", {"pet": "rex", "grams": 10}, None)
    ]
    assert list(bus.sent[0][3]) == ["pet", "grams"]


def test_a_call_checks_its_reply_against_the_return_annotation() -> None:
    bus = RecordingBus(reply=["a", 1, "b"])
    assert PetAPI(bus).names("dog") == ["a", "b"]
    assert bus.sent == [("call", Target("pets", None, "1.0"), "names", {"kind": "dog"}, 5)]
    bus.reply = "junk"
    with pytest.raises(MessagingError, match=r"pets.weight returned str, expected Flavor"):
        PetAPI(bus).weight("rex")
    assert PetAPI(bus).flavor("rex") is None


def test_since_sets_the_message_version_and_is_checked_against_the_cap() -> None:
    bus = RecordingBus()
    PetAPI(bus).flavor("rex")
    assert bus.sent[-1][1:] == (Target("pets", None, "1.1"), "flavor", {"pet": "rex"}, 1.0)
    with pytest.raises(UnsupportedVersionError, match=r"version_cap is 1\.0"):
        PetAPI(bus, cap="1.0").flavor("rex")


def test_a_fanout_reaches_the_topic() -> None:
    bus = RecordingBus()
    PetAPI(bus).bell(loud=True)
    assert bus.sent == [("fanout", "pets", "bell", {"loud": True}, None)]


def test_an_endpoint_serves_exactly_its_surface_and_takes_its_version() -> None:
    class Pets(remote.Endpoint, surface=PetAPI):
        def feed(self, pet: str, grams: int = 10) -> None: ...
        def names(self, kind: str) -> list[str]:
            return []

        def flavor(self, pet: str) -> Flavor | None: ...
        def weight(self, pet: str) -> Flavor:
            raise NotImplementedError

        def bell(self, loud: bool) -> None: ...
        def helper(self) -> None: ...

    assert Pets.RPC_API_VERSION == "1.1"
    assert is_rpc_method(Pets().feed)
    assert not is_rpc_method(Pets().helper)


def test_an_endpoint_missing_a_method_is_refused() -> None:
    with pytest.raises(TypeError, match=r"Pets.bell \(for PetAPI\) is missing"):

        class Pets(remote.Endpoint, surface=PetAPI):
            def feed(self, pet: str, grams: int = 10) -> None: ...
            def names(self, kind: str) -> list[str]: ...
            def flavor(self, pet: str) -> Flavor | None: ...
            def weight(self, pet: str) -> Flavor: ...


@pytest.mark.parametrize(
    "signature",
    [
        "def feed(self, pet: str, grams: int = 20) -> None: ...",  # default
        "def feed(self, pet: str, amount: int = 10) -> None: ...",  # name
        "def feed(self, pet: str, grams: float = 10) -> None: ...",  # annotation
        "def feed(self, host: str, pet: str, grams: int = 10) -> None: ...",  # the server arg
        "def feed(self, pet: str, grams: int = 10) -> bool: ...",  # return annotation
    ],
)
def test_an_endpoint_whose_parameters_drift_is_refused(signature: str) -> None:
    class Rest:
        def names(self, kind: str) -> list[str]: ...
        def flavor(self, pet: str) -> Flavor | None: ...
        def weight(self, pet: str) -> Flavor: ...
        def bell(self, loud: bool) -> None: ...

    namespace: dict[str, Any] = {}
    exec(f"from __future__ import annotations\n{signature}", namespace)
    with pytest.raises(TypeError, match=r"Pets.feed \(for PetAPI\) takes"):
        type("Pets", (Rest, remote.Endpoint), {"feed": namespace["feed"]}, surface=PetAPI)


def test_an_endpoint_serving_an_undeclared_method_is_refused() -> None:
    with pytest.raises(TypeError, match=r"serves \['groom'\], which PetAPI lacks"):

        class Pets(remote.Endpoint, surface=PetAPI):
            def feed(self, pet: str, grams: int = 10) -> None: ...
            def names(self, kind: str) -> list[str]: ...
            def flavor(self, pet: str) -> Flavor | None: ...
            def weight(self, pet: str) -> Flavor: ...
            def bell(self, loud: bool) -> None: ...

            @rpc_method
            def groom(self) -> None: ...


def test_a_declaration_must_name_an_existing_server_argument() -> None:
    with pytest.raises(TypeError, match="no parameter 'host'"):

        @remote.cast(server="host")
        def feed(self: RpcClient, pet: str) -> None:
            """Nowhere to send it."""


@pytest.mark.parametrize("surface", [ConductorAPI, ComputeAPI, SchedulerAPI])
def test_every_surface_declares_its_methods(surface: type[RpcClient]) -> None:
    declared = remote.methods(surface)
    assert declared
    assert set(declared) == {n for n in vars(surface) if not n.startswith("_")}
