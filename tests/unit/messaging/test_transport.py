"""Choosing a transport from transport_url."""

from __future__ import annotations

import pytest

from stratus.common.config import ConfigError
from stratus.messaging import get_bus
from stratus.messaging.inproc import InProcBus
from stratus.messaging.rabbit import RabbitBus
from stratus.messaging.rabbit_conn import parse_url


def test_memory_url_gives_the_in_process_bus() -> None:
    with get_bus("memory://", default_timeout=3) as bus:
        assert isinstance(bus, InProcBus)
        assert bus.default_timeout == 3


def test_rabbit_url_gives_the_rabbit_bus_without_connecting() -> None:
    bus = get_bus("rabbit://u:p@127.0.0.1:1/vh")
    assert isinstance(bus, RabbitBus)
    bus.close()


@pytest.mark.parametrize("url", ["kafka://u:secret@host/", "amqp://h", "", "localhost:5672"])
def test_unknown_schemes_are_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="unsupported message bus URL") as err:
        get_bus(url)
    assert "secret" not in str(err.value)
    assert "rabbit://" in str(err.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "rabbit://stratus:p%40ss@10.0.0.1:5673/stratus",
            ("10.0.0.1", 5673, "stratus", "p@ss", "stratus"),
        ),
        ("rabbit://u:p@host/", ("host", 5672, "u", "p", "/")),
        ("rabbit://u:p@host", ("host", 5672, "u", "p", "/")),
        ("rabbit://u:p@host/%2F", ("host", 5672, "u", "p", "/")),
    ],
)
def test_rabbit_urls_are_parsed(url: str, expected: tuple[object, ...]) -> None:
    params = parse_url(url)
    got = tuple(params[k] for k in ("hostname", "port", "userid", "password", "virtual_host"))
    assert got == expected


@pytest.mark.parametrize("url", ["rabbit://", "rabbit://u:p@host:notaport/"])
def test_bad_rabbit_urls_are_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_url(url)
