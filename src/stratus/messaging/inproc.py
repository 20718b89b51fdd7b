"""The in-process bus (``memory://``): threads and queues, same semantics as RabbitMQ.

Used by all-in-one mode and by tests. Every ``InProcBus`` created with the same URL in one process
shares one broker (all-in-one creates a bus per service); different URLs (``memory://a``,
``memory://b``) are separate clouds. The broker lives while any bus on its URL is open.

Messages are JSON bytes here too (see :mod:`stratus.messaging.serializer`). Like the RabbitMQ
queues, a message for a topic or a named server nobody serves yet waits until one starts; a
``call`` message whose caller stopped waiting is dropped instead of run.

Delivery: a message handed to a server is run there; ``stop()`` waits for the methods running
and hands the server's undelivered messages to the other servers of the topic. Unlike RabbitMQ's
(see :mod:`stratus.messaging.rabbit`) there is no acknowledgement to hold back: broker, queues
and servers live in one process and die together, so nothing could redeliver a message after a
crash. What a crash of that process interrupts is settled by the start-up recovery instead
(``conductor/recovery.py`` fails builds still in ``scheduling``; the agents' ``recover_instances``).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import queue
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stratus.common.exceptions import MessagingError, MessagingTimeout
from stratus.messaging import envelope
from stratus.messaging.bus import MessageBus, RpcServer, Target, timeout_message

LOG = logging.getLogger(__name__)

QueueKey = tuple[str, str | None]  # (topic, None) is the shared topic queue


@dataclasses.dataclass
class _Delivery:
    body: bytes
    reply_to: str | None = None
    expires_at: float | None = None  # time.monotonic() deadline of the waiting caller
    origin: QueueKey | None = None  # None for fanout: never handed to another server

    def expired(self) -> bool:
        return self.expires_at is not None and time.monotonic() > self.expires_at


class _Queue:
    """Subscribers compete for messages; with no subscriber, messages wait in ``pending``."""

    def __init__(self) -> None:
        self.subscribers: list[_InProcServer] = []
        self.pending: collections.deque[_Delivery] = collections.deque()
        self.turn = 0

    def put(self, delivery: _Delivery) -> None:
        if not self.subscribers:
            self.pending.append(delivery)
            return
        self.turn = (self.turn + 1) % len(self.subscribers)
        self.subscribers[self.turn].inbox.put(delivery)

    def flush(self) -> None:
        while self.subscribers and self.pending:
            delivery = self.pending.popleft()
            if not delivery.expired():
                self.put(delivery)


class _Broker:
    """Queues, fanout groups and reply routes for one ``memory://`` URL."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queues: dict[QueueKey, _Queue] = {}
        self.fanouts: dict[str, list[_InProcServer]] = {}
        self.reply_routes: dict[str, envelope.ReplyWaiters] = {}
        self.refs = 0

    def _queue(self, key: QueueKey) -> _Queue:
        return self.queues.setdefault(key, _Queue())

    def publish(self, key: QueueKey, delivery: _Delivery) -> None:
        delivery.origin = key
        with self.lock:
            self._queue(key).put(delivery)

    def publish_fanout(self, topic: str, body: bytes) -> None:
        with self.lock:
            for server in self.fanouts.get(topic, []):
                server.inbox.put(_Delivery(body))

    def reply(self, reply_to: str, body: bytes) -> None:
        with self.lock:
            waiters = self.reply_routes.get(reply_to)
        if waiters is not None:
            waiters.deliver(body)

    def subscribe(self, server: _InProcServer) -> None:
        topic, name = server.target.topic, server.target.server
        with self.lock:
            keys: list[QueueKey] = [(topic, None)] + ([(topic, name)] if name else [])
            for key in keys:
                q = self._queue(key)
                q.subscribers.append(server)
                q.flush()
            self.fanouts.setdefault(topic, []).append(server)

    def unsubscribe(self, server: _InProcServer) -> None:
        """Detach ``server`` and hand its undelivered queue messages to the others."""
        with self.lock:
            for q in self.queues.values():
                if server in q.subscribers:
                    q.subscribers.remove(server)
            group = self.fanouts.get(server.target.topic, [])
            if server in group:
                group.remove(server)
            while True:
                try:
                    self.requeue_locked(server.inbox.get_nowait())
                except queue.Empty:
                    break

    def requeue_locked(self, delivery: _Delivery | None) -> None:
        if delivery is not None and delivery.origin is not None and not delivery.expired():
            self._queue(delivery.origin).put(delivery)


_BROKERS: dict[str, _Broker] = {}
_BROKERS_LOCK = threading.Lock()


def _attach(url: str) -> _Broker:
    with _BROKERS_LOCK:
        broker = _BROKERS.setdefault(url, _Broker())
        broker.refs += 1
        return broker


def _detach(url: str, broker: _Broker) -> None:
    with _BROKERS_LOCK:
        broker.refs -= 1
        if broker.refs <= 0 and _BROKERS.get(url) is broker:
            del _BROKERS[url]


class _InProcServer(RpcServer):
    def __init__(self, bus: InProcBus, target: Target, endpoint: object, threads: int) -> None:
        self.target = target
        self._bus = bus
        self._dispatcher = envelope.Dispatcher(target, endpoint)
        self.inbox: queue.SimpleQueue[_Delivery | None] = queue.SimpleQueue()
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=f"rpc-{target.topic}")
        self._stopping = threading.Event()
        self._stop_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._consume, name=f"inproc-consumer-{target.topic}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        self._bus.broker.subscribe(self)

    def _consume(self) -> None:
        while True:
            delivery = self.inbox.get()
            if delivery is None:
                return
            if self._stopping.is_set():
                with self._bus.broker.lock:
                    self._bus.broker.requeue_locked(delivery)
            elif delivery.expired():
                LOG.debug("dropping a call on %s: its caller gave up", self.target.describe())
            else:
                self._executor.submit(self._run, delivery)

    def _run(self, delivery: _Delivery) -> None:
        try:
            reply = self._dispatcher.handle(delivery.body)
            if reply is not None and delivery.reply_to is not None:
                self._bus.broker.reply(delivery.reply_to, reply)
        except Exception:  # NOTE: an executor would swallow it silently
            LOG.exception("could not handle a message on %s", self.target.describe())

    def stop(self) -> None:
        with self._stop_lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
        self._bus.broker.unsubscribe(self)
        self.inbox.put(None)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self._executor.shutdown(wait=True)
        self._bus.forget(self)


class InProcBus(MessageBus):
    """``memory://[name]``: see the module docstring."""

    def __init__(self, url: str = "memory://", *, default_timeout: float = 60.0) -> None:
        self.url = url
        self._key = url.rstrip("/")  # memory://a and memory://a/ are the same broker
        self.default_timeout = default_timeout
        self.broker = _attach(self._key)
        self._id = f"reply-{uuid.uuid4().hex}"
        self._waiters = envelope.ReplyWaiters()
        self._servers: set[_InProcServer] = set()
        self._lock = threading.Lock()
        self._closed = False
        with self.broker.lock:
            self.broker.reply_routes[self._id] = self._waiters

    def _check_open(self) -> None:
        if self._closed:
            raise MessagingError(f"the message bus for {self.url} is closed")

    def cast(self, target: Target, method: str, payload: dict[str, Any]) -> None:
        self._check_open()
        body = envelope.encode_request(target, method, payload, None)
        self.broker.publish((target.topic, target.server), _Delivery(body))

    def call(
        self,
        target: Target,
        method: str,
        payload: dict[str, Any],
        timeout: float | None = None,
    ) -> Any:
        self._check_open()
        wait = self.default_timeout if timeout is None else timeout
        msg_id = uuid.uuid4().hex
        body = envelope.encode_request(target, method, payload, msg_id)
        slot = self._waiters.register(msg_id)
        try:
            delivery = _Delivery(body, self._id, time.monotonic() + wait)
            self.broker.publish((target.topic, target.server), delivery)
            reply = slot.wait(wait)
        finally:
            self._waiters.discard(msg_id)
        if reply is None:
            raise MessagingTimeout(timeout_message(target, method, wait))
        return envelope.unpack_reply(reply)

    def fanout(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        self._check_open()
        body = envelope.encode_request(Target(topic), method, payload, None)
        self.broker.publish_fanout(topic, body)

    def serve(self, target: Target, endpoint: object, executor_threads: int = 8) -> RpcServer:
        self._check_open()
        server = _InProcServer(self, target, endpoint, executor_threads)
        with self._lock:
            self._servers.add(server)
        server.start()
        return server

    def forget(self, server: _InProcServer) -> None:
        """Called by a stopped server."""
        with self._lock:
            self._servers.discard(server)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            servers = list(self._servers)
        for server in servers:
            server.stop()
        with self.broker.lock:
            self.broker.reply_routes.pop(self._id, None)
        _detach(self._key, self.broker)


__all__ = ["InProcBus"]
