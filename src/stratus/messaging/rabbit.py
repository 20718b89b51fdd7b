"""The RabbitMQ bus (``rabbit://user:password@host:5672/vhost``), on kombu / AMQP 0-9-1.

Layout on the broker (oslo.messaging's, simplified):

* topic exchange ``stratus``; a durable shared queue ``<topic>`` bound with key ``<topic>``
  (servers of a topic compete for it) and a durable queue ``<topic>.<server>`` bound with key
  ``<topic>.<server>`` (expires after 30 idle minutes without a consumer);
* fanout exchange ``<topic>_fanout`` with one exclusive, auto-deleted queue per running server;
* one exclusive reply queue per bus; replies are matched to callers by ``msg_id``.

Senders declare the queue they publish to and use publisher confirms, so a cast sent while the
servers are (re)connecting waits in the queue instead of vanishing. Casts are persistent
(``delivery_mode=2`` into durable queues; the confirm comes once the broker has them on disk), so
a broker restart does not lose them. Calls, replies and fanouts are transient: a caller waiting
for a reply does not survive a broker restart either, and fanout queues belong to running
servers. Calls carry their timeout as the message TTL, so a server never runs a call whose
caller has given up (a requeued message keeps its original expiry).

Acknowledgement (the delivery guarantee; see ``docs/design.md``):

* a cast is acked once its handler has returned (success or a logged error): a server that dies
  or loses its connection while handling it, or holding it prefetched, leaves it to the broker,
  which delivers it again (``redelivered``) to another server of the topic or, when sent to one
  server by name, to that server once it is back — within the 30 idle minutes its queue outlives
  it (at-least-once; handlers check the state they expect before acting, so a second delivery
  of work done or under way is a no-op);
* a fanout is acked the same way, but its queue belongs to the server's connection and goes with
  it: a fanout a dying server had not finished is lost (at-most-once; periodic resyncs cover it);
* a call is acked when a worker thread takes it: a server dying mid-call loses it and the caller
  gets ``MessagingTimeout`` (at-most-once). Running it again for a caller that may have given up,
  and whose handlers (token consumption, action events) are not all repeatable, would be worse.

Threads: every consumer (each server, the reply listener) owns one connection and one thread that
reconnects with backoff when the broker goes away and re-declares its queues; only that thread
touches its channel, so handlers on the executor hand finished messages back to it to be acked
(``ConsumerLoop.settle``). Publishing goes through one shared connection under a lock, retried
until the message's deadline.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stratus.common.exceptions import MessagingError, MessagingTimeout
from stratus.messaging import envelope
from stratus.messaging.bus import MessageBus, RpcServer, Target, timeout_message
from stratus.messaging.rabbit_conn import (
    EXCHANGE,
    POLL,
    Broker,
    ConsumerLoop,
    KombuConnection,
    KombuMessage,
    KombuQueue,
    close_quietly,
    describe,
    fanout_exchange,
    kombu,
    server_queue,
    topic_queue,
)

LOG = logging.getLogger(__name__)

SERVE_WAIT = 10.0  # how long serve() waits for the first connection before returning anyway
REPLY_SEND_TIMEOUT = 10.0
PUBLISH_BACKOFF = (0.1, 1.0)  # first and longest pause between publishing attempts
TRANSIENT, PERSISTENT = 1, 2  # AMQP delivery modes


class _RabbitServer(RpcServer):
    def __init__(self, bus: RabbitBus, target: Target, endpoint: object, threads: int) -> None:
        self.target = target
        self._bus = bus
        self._dispatcher = envelope.Dispatcher(target, endpoint)
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix=f"rpc-{target.topic}")
        self._slots = threading.Semaphore(threads)
        self._fanout_queue = kombu.Queue(
            f"{target.topic}_fanout_{target.server or 'anon'}_{uuid.uuid4().hex[:12]}",
            fanout_exchange(target.topic),
            exclusive=True,
            auto_delete=True,
            durable=False,
        )
        self.loop = ConsumerLoop(
            bus.broker,
            f"rabbit-consumer-{target.topic}",
            self._queues,
            self._on_message,
            prefetch=threads,
        )
        self._stop_lock = threading.Lock()

    def _queues(self) -> list[KombuQueue]:
        queues = [topic_queue(self.target.topic), self._fanout_queue]
        if self.target.server:
            queues.append(server_queue(self.target.topic, self.target.server))
        return queues

    def _on_message(self, message: KombuMessage) -> None:
        # NOTE: runs on the consumer thread, the only one allowed to touch its channel. It blocks
        # while every executor thread is busy, so the prefetched rest stays unacknowledged and
        # RabbitMQ can give it to another server of the topic if this connection goes.
        if not self._wait_for_slot():
            message.requeue()
            return
        reply_to = message.properties.get("reply_to")
        if reply_to:
            message.ack()  # a call: at-most-once, see the module docstring
        elif message.delivery_info.get("redelivered"):
            LOG.info(
                "%s: running a redelivered message (a server that had it went away before "
                "finishing it)",
                self.target.describe(),
            )
        self._executor.submit(self._run, message, reply_to)

    def _wait_for_slot(self) -> bool:
        while not self._slots.acquire(timeout=POLL):
            if self.loop.stopping.is_set():
                return False
            self.loop.service()  # NOTE: acks what finished meanwhile; keeps the heartbeat
        if self.loop.stopping.is_set():
            self._slots.release()
            return False
        return True

    def _run(self, message: KombuMessage, reply_to: str | None) -> None:
        try:
            reply = self._dispatcher.handle(message.body)
            if reply is not None and reply_to:
                self._bus.send_reply(reply_to, message.properties.get("correlation_id"), reply)
        except Exception:
            LOG.exception("could not handle a message on %s", self.target.describe())
        finally:
            if not reply_to:
                self.loop.settle(message)  # a cast or fanout: acked now that it is done
            self._slots.release()

    def start(self) -> None:
        self.loop.start()
        if not self.loop.ready.wait(SERVE_WAIT):
            LOG.warning(
                "serving %s: not connected to the message broker at %s yet; "
                "retrying in the background",
                self.target.describe(),
                self._bus.where,
            )

    def stop(self) -> None:
        with self._stop_lock:
            self.loop.request_stop()
            self.loop.join()
            self._executor.shutdown(wait=True)
        self._bus.forget(self)


class RabbitBus(MessageBus):
    """See the module docstring. One per service process is plenty; it is thread-safe."""

    def __init__(self, url: str, *, default_timeout: float = 60.0) -> None:
        self.broker = Broker(url)
        self.where = self.broker.where
        self.default_timeout = default_timeout
        self._producer_lock = threading.Lock()
        self._producer_conn: KombuConnection | None = None
        self._producer: Any = None
        self._waiters = envelope.ReplyWaiters()
        self._reply_queue = f"reply_{uuid.uuid4().hex}"
        self._reply_loop: ConsumerLoop | None = None
        self._lock = threading.Lock()
        self._servers: set[_RabbitServer] = set()
        self._closed = False

    # -- sending ---------------------------------------------------------------------------

    def _publish(self, body: bytes, deadline: float, *, what: str, **kwargs: Any) -> None:
        """Publish, retrying on broker trouble until ``deadline`` (monotonic); else raise.

        Transient unless ``kwargs`` say ``delivery_mode=PERSISTENT``.
        """
        kwargs.setdefault("delivery_mode", TRANSIENT)
        if not self._producer_lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise MessagingError(f"could not send {what}: the bus is busy reconnecting")
        try:
            delay, error = PUBLISH_BACKOFF[0], None
            while not self._closed:
                try:
                    self._publish_once(body, max(deadline - time.monotonic(), 0.01), kwargs)
                    return
                except self.broker.errors as exc:
                    error = exc
                    close_quietly(self._producer_conn)
                    self._producer_conn = self._producer = None
                if time.monotonic() + delay > deadline:
                    break
                time.sleep(delay)
                delay = min(delay * 2, PUBLISH_BACKOFF[1])
            raise MessagingError(
                f"could not send {what}: message broker at {self.where} unreachable "
                f"({describe(error) if error else 'bus closed'})"
            )
        finally:
            self._producer_lock.release()

    def _publish_once(self, body: bytes, budget: float, kwargs: dict[str, Any]) -> None:
        # NOTE: every wait below is bounded by ``budget``: a half-open TCP connection or a broker
        # that never confirms must not hold the caller (and the producer lock) past its deadline.
        if self._producer is None:
            conn = self.broker.connection(confirm=True, connect_timeout=budget)
            self._producer_conn = conn
            conn.connect()
            self._producer = kombu.Producer(conn.channel())
        self._producer.publish(
            body,
            content_type="application/json",
            content_encoding="utf-8",
            retry=False,
            timeout=budget,
            confirm_timeout=budget,
            **kwargs,
        )

    def send_reply(self, reply_to: str, correlation_id: str | None, body: bytes) -> None:
        """Used by servers to answer a call on the caller's reply queue."""
        deadline = time.monotonic() + REPLY_SEND_TIMEOUT
        self._publish(
            body,
            deadline,
            what=f"a reply to {reply_to}",
            exchange="",
            routing_key=reply_to,
            correlation_id=correlation_id,
        )

    def _send(self, target: Target, body: bytes, deadline: float, what: str, **kw: Any) -> None:
        queue = server_queue(target.topic, target.server) if target.server else None
        self._publish(
            body,
            deadline,
            what=what,
            exchange=EXCHANGE,
            routing_key=queue.routing_key if queue else target.topic,
            declare=[queue or topic_queue(target.topic)],
            **kw,
        )

    def cast(self, target: Target, method: str, payload: dict[str, Any]) -> None:
        self._check_open()
        body = envelope.encode_request(target, method, payload, None)
        deadline = time.monotonic() + self.default_timeout
        self._send(
            target,
            body,
            deadline,
            f"{target.topic}.{method} to {target.describe()}",
            delivery_mode=PERSISTENT,
        )

    def fanout(self, topic: str, method: str, payload: dict[str, Any]) -> None:
        self._check_open()
        body = envelope.encode_request(Target(topic), method, payload, None)
        exchange = fanout_exchange(topic)
        deadline = time.monotonic() + self.default_timeout
        self._publish(
            body,
            deadline,
            what=f"fanout {topic}.{method}",
            exchange=exchange,
            routing_key="",
            declare=[exchange],
        )

    def call(
        self,
        target: Target,
        method: str,
        payload: dict[str, Any],
        timeout: float | None = None,
    ) -> Any:
        self._check_open()
        wait = self.default_timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        msg_id = uuid.uuid4().hex
        body = envelope.encode_request(target, method, payload, msg_id)
        loop = self._ensure_reply_loop()
        if not loop.ready.wait(max(deadline - time.monotonic(), 0.0)):
            raise MessagingTimeout(
                f"{timeout_message(target, method, wait)} (message broker at {self.where} "
                "unreachable)"
            )
        slot = self._waiters.register(msg_id)
        try:
            self._send(
                target,
                body,
                deadline,
                f"{target.topic}.{method}",
                reply_to=self._reply_queue,
                correlation_id=msg_id,
                expiration=max(deadline - time.monotonic(), 0.001),
            )
            reply = slot.wait(deadline - time.monotonic())
        except MessagingError as exc:
            raise MessagingTimeout(f"{timeout_message(target, method, wait)} ({exc})") from exc
        finally:
            self._waiters.discard(msg_id)
        if reply is None:
            raise MessagingTimeout(timeout_message(target, method, wait))
        return envelope.unpack_reply(reply)

    def _ensure_reply_loop(self) -> ConsumerLoop:
        with self._lock:
            if self._reply_loop is None:
                queue = kombu.Queue(
                    self._reply_queue, exclusive=True, auto_delete=True, durable=False
                )
                self._reply_loop = ConsumerLoop(
                    self.broker,
                    "rabbit-replies",
                    lambda: [queue],
                    lambda message: self._waiters.deliver(message.body),
                )
                self._reply_loop.start()
            return self._reply_loop

    # -- serving and lifetime --------------------------------------------------------------

    def serve(self, target: Target, endpoint: object, executor_threads: int = 8) -> RpcServer:
        self._check_open()
        server = _RabbitServer(self, target, endpoint, executor_threads)
        with self._lock:
            self._servers.add(server)
        server.start()
        return server

    def forget(self, server: _RabbitServer) -> None:
        """Called by a stopped server."""
        with self._lock:
            self._servers.discard(server)

    def _check_open(self) -> None:
        if self._closed:
            raise MessagingError(f"the message bus for {self.where} is closed")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            servers, reply_loop = list(self._servers), self._reply_loop
        loops = [s.loop for s in servers] + ([reply_loop] if reply_loop else [])
        for loop in loops:  # NOTE: signal all first, so the threads wind down in parallel
            loop.request_stop()
        for server in servers:
            server.stop()
        if reply_loop is not None:
            reply_loop.join()
        with self._producer_lock:
            close_quietly(self._producer_conn)
            self._producer_conn = self._producer = None


__all__ = ["RabbitBus"]
