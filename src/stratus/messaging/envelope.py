"""What goes on the wire, shared by every transport: requests, replies and their dispatch.

A request is ``{"method", "args", "context", "version", "topic", "server", "msg_id"}`` as JSON;
``msg_id`` is ``None`` for casts and fanouts. A reply is ``{"msg_id", "result"}`` or
``{"msg_id", "failure": {"class", "module", "bases", "message", ...}}``.

Transports only move bytes and route replies back to ``reply_to``; everything a message means is
decided here, so the in-process and RabbitMQ buses cannot drift apart.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, NoReturn

from stratus.common import context
from stratus.common import exceptions as exc_module
from stratus.common.exceptions import RemoteError, StratusError
from stratus.messaging import rpc, serializer
from stratus.messaging.bus import NoSuchMethodError, Target, UnsupportedVersionError, is_rpc_method

LOG = logging.getLogger(__name__)

# NOTE: only classes known here are rebuilt from a reply; a class name from the wire is never
# imported, so a peer cannot make us construct arbitrary objects.
_REBUILDABLE: dict[str, type[StratusError]] = {
    f"{cls.__module__}.{cls.__name__}": cls
    for cls in [
        *(v for v in vars(exc_module).values() if isinstance(v, type)),
        NoSuchMethodError,
        UnsupportedVersionError,
    ]
    if issubclass(cls, StratusError) and cls is not RemoteError
}


def encode_request(
    target: Target, method: str, payload: dict[str, Any], msg_id: str | None
) -> bytes:
    """Serialise a request; the current request context (if any) travels with it."""
    if not isinstance(payload, dict):
        raise TypeError(f"payload for {target.topic}.{method} must be a dict, got {payload!r}")
    ctx = context.current()
    return serializer.dumps(
        {
            "method": method,
            "args": serializer.to_primitive(payload),
            "context": ctx.to_wire() if ctx is not None else None,
            "version": target.version,
            "topic": target.topic,
            "server": target.server,
            "msg_id": msg_id,
        }
    )


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


def encode_failure(error: BaseException) -> dict[str, Any]:
    """The failure part of a reply: enough to rebuild a ``StratusError`` on the caller side."""
    if isinstance(error, RemoteError):
        return {"class": "RemoteError", "exc_type": error.exc_type, "message": error.value}
    if isinstance(error, StratusError):
        bases = [_qualname(c) for c in type(error).__mro__ if issubclass(c, StratusError)]
        return {"class": _qualname(type(error)), "bases": bases, "message": error.message}
    return {"class": type(error).__name__, "bases": [], "message": str(error)}


def raise_failure(failure: dict[str, Any]) -> NoReturn:
    """Raise what the remote side raised: the same ``StratusError`` class, or ``RemoteError``.

    A ``StratusError`` subclass this process does not know is raised as its nearest known base
    class (so a remote ``InstanceLocked(Conflict)`` still maps to HTTP 409).
    """
    message = str(failure.get("message", ""))
    if failure.get("class") == "RemoteError":
        raise RemoteError(str(failure.get("exc_type", "Exception")), message)
    for name in failure.get("bases") or ():
        cls = _REBUILDABLE.get(str(name))
        if cls is not None:
            raise cls(message)
    raise RemoteError(str(failure.get("class", "Exception")), message)


def unpack_reply(reply: dict[str, Any]) -> Any:
    """The return value carried by ``reply``, or raise its failure."""
    if "failure" in reply:
        raise_failure(reply["failure"])
    return serializer.from_primitive(reply.get("result"))


class Dispatcher:
    """Runs requests against one endpoint object for an ``RpcServer``.

    Only public methods marked as RPC methods are callable (``@rpc_method``, or declared by the
    surface of a ``remote.Endpoint``); the RPC API version in the request is checked against the
    endpoint's (see :mod:`stratus.messaging.rpc`).
    """

    def __init__(self, target: Target, endpoint: object) -> None:
        self.target = target
        self.endpoint = endpoint
        self.versions = rpc.endpoint_versions(endpoint)

    def handle(self, body: bytes) -> bytes | None:
        """Run one request; the reply bytes for a call, ``None`` for a cast or garbage."""
        try:
            request = serializer.loads(body)
            if not isinstance(request, dict):
                raise ValueError("request is not a JSON object")
        except ValueError:
            LOG.error("dropping undecodable message on %s: %.200r", self.target.describe(), body)
            return None
        msg_id = request.get("msg_id")
        with _caller_context(request):
            reply: dict[str, Any] = {"msg_id": msg_id}
            try:
                reply["result"] = serializer.to_primitive(self._invoke(request), "result")
            except Exception as error:
                self._log_failure(request, error, is_call=msg_id is not None)
                reply = {"msg_id": msg_id, "failure": encode_failure(error)}
        if msg_id is None:
            return None
        try:
            return serializer.dumps(reply)
        except ValueError as error:  # e.g. a NaN in the result: still answer the caller
            return serializer.dumps({"msg_id": msg_id, "failure": encode_failure(error)})

    def _invoke(self, request: dict[str, Any]) -> Any:
        method = str(request.get("method"))
        rpc.check_version(self.versions, request.get("version"), self._where(method))
        func = None if method.startswith("_") else getattr(self.endpoint, method, None)
        if func is None or not is_rpc_method(func):
            raise NoSuchMethodError(f"{self._where(method)} has no RPC method {method!r}")
        args = serializer.from_primitive(request.get("args") or {})
        LOG.debug("handling %s.%s", self.target.topic, method)
        return func(**args)

    def _where(self, method: str) -> str:
        return f"{type(self.endpoint).__name__} on {self.target.describe()} ({method})"

    def _log_failure(self, request: dict[str, Any], error: Exception, *, is_call: bool) -> None:
        what = f"{self.target.topic}.{request.get('method')}"
        if isinstance(error, StratusError) and is_call:
            LOG.info("%s raised %s: %s", what, type(error).__name__, error)
        else:
            LOG.error("%s failed", what, exc_info=error)


def _caller_context(request: dict[str, Any]) -> contextlib.AbstractContextManager[object]:
    """Bind the caller's request context (if the request carries a usable one)."""
    wire = request.get("context")
    if isinstance(wire, dict):
        try:
            return context.bound(context.RequestContext.from_wire(wire))
        except (TypeError, ValueError):
            LOG.warning("ignoring a malformed request context on %s", request.get("method"))
    return contextlib.nullcontext()


class ReplyWaiters:
    """Callers blocked in ``call``, keyed by ``msg_id``; the reply consumer wakes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}

    def register(self, msg_id: str) -> _Slot:
        slot = _Slot()
        with self._lock:
            self._slots[msg_id] = slot
        return slot

    def discard(self, msg_id: str) -> None:
        with self._lock:
            self._slots.pop(msg_id, None)

    def deliver(self, body: bytes) -> None:
        """Hand a reply to its caller; replies for callers that gave up are dropped."""
        try:
            reply = serializer.loads(body)
        except ValueError:
            LOG.error("dropping undecodable reply: %.200r", body)
            return
        msg_id = reply.get("msg_id") if isinstance(reply, dict) else None
        with self._lock:
            slot = self._slots.pop(msg_id, None) if isinstance(msg_id, str) else None
        if slot is None:
            LOG.debug("dropping reply %s: nobody waits for it (timed out?)", msg_id)
            return
        slot.set(reply)


class _Slot:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._reply: dict[str, Any] | None = None

    def set(self, reply: dict[str, Any]) -> None:
        self._reply = reply
        self._event.set()

    def wait(self, timeout: float) -> dict[str, Any] | None:
        """The reply, or ``None`` if none came within ``timeout`` seconds."""
        return self._reply if self._event.wait(max(timeout, 0.0)) else None


__all__ = [
    "Dispatcher",
    "ReplyWaiters",
    "encode_failure",
    "encode_request",
    "raise_failure",
    "unpack_reply",
]
