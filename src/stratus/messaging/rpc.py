"""Versioned RPC on top of the bus: the client base of the RPC surfaces, the server check.

Each service's surface (``stratus.rpcapi.<topic>``) subclasses :class:`RpcClient`, declares one
typed method per remote method with :mod:`stratus.messaging.remote` and keeps its version history
in its docstring (Nova ``compute/rpcapi.py``)::

    class ComputeAPI(RpcClient):
        '''Version 1.0: initial. Version 1.1: build_instance takes ``request_spec``.'''

        @remote.cast(server="host", since="1.1")
        def build_instance(self, host: str, instance: Instance, spec: RequestSpec) -> None:
            '''Build ``instance`` on ``host``.'''

    ComputeAPI(bus, Target("compute"), version_cap="1.1")

``version_cap`` pins the newest version this client may send (lower it during a rolling upgrade
while old servers still run). The server side compares the message version with the endpoint's
``RPC_API_VERSION`` (default ``"1.0"``; the newest ``since`` of its surface for a
``remote.Endpoint``) and ``RPC_API_COMPAT_VERSIONS`` (older majors it still accepts, for N/N-1
upgrades): same major and a minor not above the endpoint's, or the message is rejected with
``UnsupportedVersionError`` naming both versions.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Self, TypeVar

from stratus.common.exceptions import MessagingError
from stratus.messaging.bus import MessageBus, Target, UnsupportedVersionError
from stratus.objects.base import parse_version

T = TypeVar("T")

_UNSET: Any = object()


class RpcClient:
    """Sends versioned messages to one target; subclass it per service."""

    def __init__(
        self,
        bus: MessageBus,
        target: Target,
        version_cap: str,
        *,
        timeout: float | None = None,
    ) -> None:
        self.bus = bus
        self.version_cap = version_cap
        self.timeout = timeout
        self._cap = parse_version(version_cap)
        if target.version is None:
            target = dataclasses.replace(target, version=f"{self._cap[0]}.0")
        self._check_cap(target, target.version)
        self.target = target

    def can_send_version(self, version: str) -> bool:
        """Whether ``version`` is within the cap (same major, minor not above it)."""
        want = parse_version(version)
        return want[0] == self._cap[0] and want <= self._cap

    def prepare(
        self,
        *,
        server: str | None = _UNSET,
        version: str | None = None,
        timeout: float | None = _UNSET,
    ) -> Self:
        """A copy aimed at another server and/or written for another version."""
        clone = copy.copy(self)
        target = self.target
        if server is not _UNSET:
            target = dataclasses.replace(target, server=server)
        if version is not None:
            self._check_cap(target, version)
            target = dataclasses.replace(target, version=version)
        clone.target = target
        if timeout is not _UNSET:
            clone.timeout = timeout
        return clone

    def call(self, method: str, /, **kwargs: Any) -> Any:
        """RPC ``method`` with ``kwargs``; see :meth:`MessageBus.call` for errors."""
        return self.bus.call(self.target, method, kwargs, timeout=self.timeout)

    def call_as(self, result_type: type[T], method: str, /, **kwargs: Any) -> T:
        """Like :meth:`call`, but checks the reply is a ``result_type``."""
        result = self.call(method, **kwargs)
        if not isinstance(result, result_type):
            raise MessagingError(
                f"{self.target.topic}.{method} returned {type(result).__name__}, "
                f"expected {result_type.__name__}"
            )
        return result

    def cast(self, method: str, /, **kwargs: Any) -> None:
        """Send ``method`` to one server of the target and do not wait."""
        self.bus.cast(self.target, method, kwargs)

    def fanout(self, method: str, /, **kwargs: Any) -> None:
        """Send ``method`` to every server of the topic."""
        self.bus.fanout(self.target.topic, method, kwargs)

    def _check_cap(self, target: Target, version: str | None) -> None:
        if version is not None and not self.can_send_version(version):
            raise UnsupportedVersionError(
                f"cannot send version {version} to {target.describe()}: "
                f"version_cap is {self.version_cap}"
            )


def endpoint_versions(endpoint: object) -> tuple[tuple[int, int], ...]:
    """The versions an endpoint accepts: ``RPC_API_VERSION`` plus ``RPC_API_COMPAT_VERSIONS``."""
    main = getattr(endpoint, "RPC_API_VERSION", "1.0")
    compat = getattr(endpoint, "RPC_API_COMPAT_VERSIONS", ())
    return tuple(parse_version(v) for v in (main, *compat))


def check_version(versions: tuple[tuple[int, int], ...], requested: object, where: str) -> None:
    """Raise ``UnsupportedVersionError`` unless one of ``versions`` can handle ``requested``.

    ``requested`` is ``None`` for unversioned messages (plain ``bus.call``): always accepted.
    """
    if requested is None:
        return
    speaks = ", ".join(f"{major}.{minor}" for major, minor in versions)
    try:
        want = parse_version(str(requested))
    except ValueError:
        raise UnsupportedVersionError(f"{where}: malformed RPC version {requested!r}") from None
    for have in versions:
        if have[0] == want[0]:
            if want[1] <= have[1]:
                return
            raise UnsupportedVersionError(
                f"{where} speaks RPC API up to {have[0]}.{have[1]}, message needs {requested}: "
                "upgrade this service or lower the sender's version_cap"
            )
    raise UnsupportedVersionError(
        f"{where} does not know RPC API major version {want[0]} "
        f"(message version {requested}; it speaks {speaks})"
    )


__all__ = ["RpcClient", "check_version", "endpoint_versions"]
