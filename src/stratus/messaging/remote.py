"""One definition per RPC surface: the client declares each remote method once, the endpoint that
serves it derives its registration from that declaration.

A surface is an :class:`~stratus.messaging.rpc.RpcClient` subclass (``stratus.rpcapi.*``) whose
methods are declared, not written: a typed signature and a docstring under ``@remote.call``,
``@remote.cast`` or ``@remote.fanout``::

    class ComputeAPI(RpcClient):
        @remote.cast(server="host")
        def stop_instance(self, host: str, instance: Instance) -> None:
            '''Power the instance off (ACPI first).'''

        @remote.call(server="host", timeout=10.0)
        def get_host_uptime(self, host: str) -> str:
            '''The host's ``uptime`` line.'''

The decorator writes the body. The arguments become the payload, keyword by keyword in signature
order (defaults filled in), except ``self`` and the argument named by ``server``, whose value is
the server (host) the message goes to. ``since`` is the surface version that introduced the
method's current signature; the message is written for that version (``UnsupportedVersionError``
when it is above the client's ``version_cap``). ``timeout`` overrides the client's for one call.
A call's reply is checked against the return annotation (:func:`_reply_check`): wire objects
must be of the annotated class, lists keep only items of their class, ``X | None`` is ``None``
for anything else, builtins are converted; ``reply=`` replaces that check where the wire answer
is not the return value (the scheduler's ``NoValidHostReport``).

Declarations have docstring-only bodies, so each surface module disables mypy's ``empty-body``
check (``# mypy: disable-error-code="empty-body"``): the bodies are written here, not there.

The endpoint names its surface and implements every method with the same parameters (without
the ``server`` one)::

    class ComputeAgent(Endpoint, surface=ComputeAPI):
        def stop_instance(self, instance: Instance) -> None: ...

Class creation fails when a method is missing, its parameters (names, kinds, defaults,
annotations) or return annotation differ, or the endpoint marks ``@rpc_method`` something the
surface does not declare. Only the surface's methods are dispatched; ``RPC_API_VERSION`` is the
newest ``since``. Adding a method therefore touches its declaration and its implementation.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeVar, overload

from stratus.common.exceptions import MessagingError
from stratus.messaging.bus import RPC_METHOD_MARK, is_rpc_method
from stratus.messaging.rpc import RpcClient
from stratus.objects.base import parse_version

F = TypeVar("F", bound=Callable[..., Any])
Kind = Literal["call", "cast", "fanout"]
Check = Callable[[Any, str], Any]

_SPEC = "__stratus_remote__"
_BUILTINS = (str, int, float, bool)


@dataclasses.dataclass(frozen=True)
class RemoteMethod:
    """One declared method: how it is sent and what its endpoint must look like."""

    name: str
    kind: Kind
    since: str
    server: str | None
    timeout: float | None
    signature: inspect.Signature
    check: Check
    custom_reply: bool = False

    def endpoint_signature(self) -> inspect.Signature:
        """The signature an endpoint implements: the declaration's without ``server``."""
        params = [p for p in self.signature.parameters.values() if p.name != self.server]
        return self.signature.replace(parameters=params)

    def send(self, client: RpcClient, /, *args: Any, **kwargs: Any) -> Any:
        bound = self.signature.bind(client, *args, **kwargs)
        bound.apply_defaults()
        first = next(iter(self.signature.parameters))
        payload = {k: v for k, v in bound.arguments.items() if k not in (first, self.server)}
        if self.kind == "fanout":
            client.fanout(self.name, **payload)
            return None
        if self.server is not None:
            client = client.prepare(server=bound.arguments[self.server])
        if self.since != client.target.version:
            client = client.prepare(version=self.since)
        if self.timeout is not None:
            client = client.prepare(timeout=self.timeout)
        if self.kind == "cast":
            client.cast(self.name, **payload)
            return None
        return self.check(client.call(self.name, **payload), f"{client.target.topic}.{self.name}")


def _declare(
    func: F,
    kind: Kind,
    server: str | None,
    since: str,
    timeout: float | None = None,
    reply: Check | None = None,
) -> F:
    signature = inspect.signature(func)
    if server is not None and server not in signature.parameters:
        raise TypeError(f"{func.__qualname__}: no parameter {server!r} to send to")
    parse_version(since)
    check = reply or _discard
    if kind == "call" and reply is None:
        check = _reply_check(typing.get_type_hints(func).get("return", type(None)))
    spec = RemoteMethod(
        func.__name__, kind, since, server, timeout, signature, check, reply is not None
    )

    @functools.wraps(func)
    def send(self: RpcClient, /, *args: Any, **kwargs: Any) -> Any:
        return spec.send(self, *args, **kwargs)

    setattr(send, _SPEC, spec)
    return typing.cast(F, send)


@overload
def call(func: F, /) -> F: ...
@overload
def call(
    *,
    server: str | None = None,
    since: str = "1.0",
    timeout: float | None = None,
    reply: Check | None = None,
) -> Callable[[F], F]: ...
def call(
    func: F | None = None,
    /,
    *,
    server: str | None = None,
    since: str = "1.0",
    timeout: float | None = None,
    reply: Check | None = None,
) -> F | Callable[[F], F]:
    """Declare a method the client sends and waits for. Its reply is checked against the
    return annotation, or turned into the return value by ``reply(value, "topic.method")``
    (then the endpoint's return annotation is its own: what it puts on the wire)."""
    if func is not None:
        return _declare(func, "call", server, since, timeout)
    return lambda f: _declare(f, "call", server, since, timeout, reply)


@overload
def cast(func: F, /) -> F: ...
@overload
def cast(*, server: str | None = None, since: str = "1.0") -> Callable[[F], F]: ...
def cast(
    func: F | None = None, /, *, server: str | None = None, since: str = "1.0"
) -> F | Callable[[F], F]:
    """Declare a method the client sends to one server of the topic without waiting."""
    if func is not None:
        return _declare(func, "cast", server, since)
    return lambda f: _declare(f, "cast", server, since)


@overload
def fanout(func: F, /) -> F: ...
@overload
def fanout(*, since: str = "1.0") -> Callable[[F], F]: ...
def fanout(func: F | None = None, /, *, since: str = "1.0") -> F | Callable[[F], F]:
    """Declare a method the client sends to every server of the topic (unversioned on the bus,
    as every fanout is)."""
    if func is not None:
        return _declare(func, "fanout", None, since)
    return lambda f: _declare(f, "fanout", None, since)


def methods(surface: type[RpcClient]) -> dict[str, RemoteMethod]:
    """The methods ``surface`` declares (inherited ones included), by name."""
    found: dict[str, RemoteMethod] = {}
    for klass in reversed(surface.__mro__):
        for name, attr in vars(klass).items():
            spec = getattr(attr, _SPEC, None)
            if isinstance(spec, RemoteMethod):
                found[name] = spec
    return found


class Endpoint:
    """Base of an RPC endpoint: ``class X(Endpoint, surface=SomeAPI)`` (see the module doc)."""

    RPC_API_VERSION: ClassVar[str] = "1.0"

    def __init_subclass__(cls, /, surface: type[RpcClient] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if surface is None:
            return
        declared = methods(surface)
        if not declared:
            raise TypeError(f"{surface.__name__} declares no remote methods")
        for name, spec in declared.items():
            _check_implementation(cls, surface, spec)
            setattr(getattr(cls, name), RPC_METHOD_MARK, True)
        extra = sorted(
            n for n in dir(cls) if n not in declared and is_rpc_method(getattr(cls, n, None))
        )
        if extra:
            raise TypeError(f"{cls.__name__} serves {extra}, which {surface.__name__} lacks")
        cls.RPC_API_VERSION = max((s.since for s in declared.values()), key=parse_version)


def _check_implementation(cls: type, surface: type, spec: RemoteMethod) -> None:
    impl = getattr(cls, spec.name, None)
    where = f"{cls.__name__}.{spec.name} (for {surface.__name__})"
    if not inspect.isfunction(impl):
        raise TypeError(f"{where} is missing")
    want, have = spec.endpoint_signature(), inspect.signature(impl)
    if _shape(want, spec.custom_reply) != _shape(have, spec.custom_reply):
        raise TypeError(f"{where} takes {have}, the surface declares {want}")


def _shape(sig: inspect.Signature, custom_reply: bool) -> tuple[object, ...]:
    params = list(sig.parameters.values())[1:]  # NOTE: self
    returns = None if custom_reply else _text(sig.return_annotation)
    return tuple((p.name, p.kind, p.default, _text(p.annotation)) for p in params), returns


def _text(annotation: object) -> str:
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def _discard(_value: Any, _where: str) -> None:
    return None


def _reply_check(hint: Any) -> Check:
    """How a call's reply is checked against its return annotation (see the module doc)."""
    if hint is type(None):
        return _discard
    if hint is Any:
        return lambda value, _where: value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        (cls,) = (a for a in args if a is not type(None))
        return lambda value, _where: value if isinstance(value, cls) else None
    if origin is list:
        (item,) = args
        return lambda value, _where: [v for v in value if isinstance(v, item)]
    if origin is dict and args and args[0] is str:
        inner = _reply_check(args[1])
        return lambda value, where: {str(k): inner(v, where) for k, v in dict(value).items()}
    if hint in _BUILTINS:
        return lambda value, _where: hint(value)
    if isinstance(hint, type):
        return functools.partial(_instance_of, hint)
    raise TypeError(f"cannot check RPC replies of type {hint!r}")


def _instance_of(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, cls):
        raise MessagingError(f"{where} returned {type(value).__name__}, expected {cls.__name__}")
    return value


__all__ = ["Endpoint", "RemoteMethod", "call", "cast", "fanout", "methods"]
