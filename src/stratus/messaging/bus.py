"""The message bus interface: one API, two transports (in-process and RabbitMQ).

Modelled on oslo.messaging, cut down to what Stratus services use::

    bus = get_bus("rabbit://stratus:secret@controller:5672/stratus")
    server = bus.serve(Target("compute", server="host1"), ComputeAgent(...))
    bus.cast(Target("compute", server="host1"), "reboot_instance", {"instance": inst})
    answer = bus.call(Target("scheduler"), "select_destinations", {"spec": spec}, timeout=30)
    bus.fanout("scheduler", "update_host_state", {"state": state})
    server.stop()
    bus.close()

Delivery rules (every transport, checked by ``tests/contract/test_bus.py``):

* ``Target(topic)``: exactly ONE of the servers serving ``topic`` gets the message (competing
  consumers). A message sent while nobody serves the topic waits for the first server.
* ``Target(topic, server)``: only servers serving ``topic`` under that ``server`` name.
* ``fanout(topic, ...)``: every server serving ``topic`` at that moment; nobody else, later.
* A server that dies or loses the broker before a cast's method returned leaves the cast to
  another server (at-least-once on RabbitMQ; see :mod:`stratus.messaging.rabbit`), so cast
  methods check the state they expect before acting. A call runs at most once.

Payloads are dicts of JSON values and :class:`~stratus.objects.base.VersionedObject` instances
(see :mod:`stratus.messaging.serializer`). The caller's request context travels with every
message and is bound on the server while the endpoint runs.

Errors: an endpoint raising a :class:`~stratus.common.exceptions.StratusError` subclass makes
``call`` raise the same class with the same message; any other exception becomes
:class:`~stratus.common.exceptions.RemoteError`. No reply in time: ``MessagingTimeout``.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from stratus.common.exceptions import MessagingError

P = ParamSpec("P")
R = TypeVar("R")

RPC_METHOD_MARK = "__stratus_rpc_method__"


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a message goes: a topic (a service kind), optionally one server (a host) of it.

    ``version`` is the RPC API version the message is written for; set by
    :class:`~stratus.messaging.rpc.RpcClient`, ``None`` for unversioned traffic.
    """

    topic: str
    server: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if not self.topic:
            raise ValueError("Target.topic must not be empty")

    def describe(self) -> str:
        """``topic 'compute' server 'host1'`` for error and log messages."""
        where = f"topic {self.topic!r}"
        return f"{where} server {self.server!r}" if self.server else where


class NoSuchMethodError(MessagingError):
    """The endpoint has no public ``@rpc_method`` of the requested name."""


class UnsupportedVersionError(MessagingError):
    """The endpoint does not speak the RPC API version the message was written for."""


def rpc_method(func: Callable[P, R]) -> Callable[P, R]:
    """Mark an endpoint method as callable over the bus. Unmarked methods are never dispatched."""
    setattr(func, RPC_METHOD_MARK, True)
    return func


def is_rpc_method(func: object) -> bool:
    """Whether ``func`` was decorated with :func:`rpc_method`."""
    return callable(func) and getattr(func, RPC_METHOD_MARK, False) is True


class RpcServer(abc.ABC):
    """A running consumer for one ``Target``, handed back by :meth:`MessageBus.serve`."""

    target: Target

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop consuming and wait for methods already running to return. Idempotent.

        Messages not yet handed to the endpoint stay queued for other servers of the topic
        (or for this server's next start, for messages addressed to it by name).
        """


class MessageBus(abc.ABC):
    """The transport-neutral bus. Implementations: ``InProcBus``, ``RabbitBus``.

    All methods are thread-safe. ``payload`` must be a dict (see the module docstring); it is
    passed to the endpoint method as keyword arguments.
    """

    @abc.abstractmethod
    def cast(self, target: Target, method: str, payload: dict[str, Any]) -> None:
        """Send and forget. Returns once the message is queued, not when it is handled.

        Raises ``MessagingError`` only when the message could not be handed to the broker
        (after retrying); errors raised by the endpoint are logged on the server.
        """

    @abc.abstractmethod
    def call(
        self,
        target: Target,
        method: str,
        payload: dict[str, Any],
        timeout: float | None = None,
    ) -> Any:
        """Send and wait for the endpoint's return value.

        ``timeout`` (seconds) defaults to the bus's ``default_timeout``. Raises
        ``MessagingTimeout`` when no reply arrives in time (also while the broker is down), the
        endpoint's ``StratusError`` subclass, or ``RemoteError`` for anything else it raised.
        """

    @abc.abstractmethod
    def fanout(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        """Cast to every server currently serving ``topic``."""

    @abc.abstractmethod
    def serve(self, target: Target, endpoint: object, executor_threads: int = 8) -> RpcServer:
        """Start delivering messages for ``target`` to ``endpoint``; returns once consuming.

        ``target.server`` names this server; when set, the server also receives messages sent
        to ``Target(topic, server)``. Up to ``executor_threads`` methods run at once. The
        endpoint may set ``RPC_API_VERSION`` (default ``"1.0"``) and
        ``RPC_API_COMPAT_VERSIONS`` (older majors it still accepts); see
        :mod:`stratus.messaging.rpc`.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Stop every server started from this bus and release connections. Idempotent."""

    def __enter__(self) -> MessageBus:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def timeout_message(target: Target, method: str, timeout: float) -> str:
    """The ``MessagingTimeout`` text every transport uses: names where nobody answered."""
    return (
        f"No reply to {target.topic}.{method} on {target.describe()} within {timeout:.1f} s: "
        f"is a stratus-{target.topic} service running?"
    )


__all__ = [
    "MessageBus",
    "NoSuchMethodError",
    "RpcServer",
    "Target",
    "UnsupportedVersionError",
    "is_rpc_method",
    "rpc_method",
    "timeout_message",
]
