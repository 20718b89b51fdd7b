"""Connections to RabbitMQ for :mod:`stratus.messaging.rabbit`: URL, queue layout, consumers.

:class:`Broker` turns a ``rabbit://`` URL into kombu connections and knows which errors mean "the
broker went away". :class:`ConsumerLoop` owns one connection and one thread and keeps consuming
its queues across broker restarts, re-declaring them after every reconnection.

Acknowledgements: a kombu channel belongs to the thread that drains it, so a message handled on
another thread is acknowledged by handing it back (:meth:`ConsumerLoop.settle`); the consumer
thread acks it between polls (:meth:`ConsumerLoop.service`), on the channel it came from only.
A message whose channel died meanwhile is not acked at all: the broker has already put it back
in its queue (``delivery_info['redelivered']`` is set on the next delivery), and a delivery tag
of an old channel would ack another message, or close the channel, if sent on the new one.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from kombu.exceptions import OperationalError

from stratus.common.config import ConfigError

# NOTE: kombu ships py.typed but leaves its constructors and most methods unannotated; under
# mypy --strict every call would need an ignore. It is used as an untyped module instead.
kombu: Any = importlib.import_module("kombu")
KombuConnection = Any
KombuQueue = Any
KombuMessage = Any

LOG = logging.getLogger(__name__)

EXCHANGE = kombu.Exchange("stratus", type="topic", durable=True)
SERVER_QUEUE_EXPIRES_MS = 30 * 60 * 1000
CONNECT_TIMEOUT = 5.0
HEARTBEAT = 30.0
POLL = 0.2  # how often consumer threads look at their stop flag
BACKOFF = (0.2, 2.0)  # first and longest pause between reconnection attempts


def topic_queue(topic: str) -> KombuQueue:
    """The shared queue of ``topic``: every server of the topic competes for its messages."""
    return kombu.Queue(topic, EXCHANGE, routing_key=topic, durable=True)


def server_queue(topic: str, server: str) -> KombuQueue:
    """The queue of one named server; kept while the server reconnects, dropped when idle."""
    key = f"{topic}.{server}"
    return kombu.Queue(
        key,
        EXCHANGE,
        routing_key=key,
        durable=True,
        queue_arguments={"x-expires": SERVER_QUEUE_EXPIRES_MS},
    )


def fanout_exchange(topic: str) -> Any:
    """The exchange copying a message to every running server of ``topic``."""
    return kombu.Exchange(f"{topic}_fanout", type="fanout", durable=True)


def parse_url(url: str) -> dict[str, Any]:
    """kombu connection arguments for a ``rabbit://`` URL; ``ConfigError`` if malformed."""
    parts = urlsplit(url)
    if parts.scheme != "rabbit" or not parts.hostname:
        raise ConfigError("transport_url: expected rabbit://user:password@host:port/vhost")
    try:
        port = parts.port or 5672
    except ValueError as exc:
        raise ConfigError(f"transport_url: bad port in rabbit URL ({exc})") from None
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return {
        "hostname": parts.hostname,
        "port": port,
        "userid": unquote(parts.username or "guest"),
        "password": unquote(parts.password or "guest"),
        "virtual_host": vhost,
    }


class Broker:
    """Where the broker is and how to connect to it; knows its recoverable errors."""

    def __init__(self, url: str) -> None:
        self.params = parse_url(url)
        self.where = f"{self.params['hostname']}:{self.params['port']}"
        probe = kombu.Connection(transport="pyamqp")
        self.errors: tuple[type[BaseException], ...] = (
            *probe.connection_errors,
            *probe.channel_errors,
            OperationalError,
            OSError,
        )

    def connection(
        self,
        *,
        heartbeat: float = 0,
        confirm: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> KombuConnection:
        """A fresh, not yet connected kombu connection (publisher confirms if ``confirm``)."""
        return kombu.Connection(
            transport="pyamqp",
            connect_timeout=min(connect_timeout, CONNECT_TIMEOUT),
            heartbeat=heartbeat,
            transport_options={"confirm_publish": confirm},
            **self.params,
        )


class ConsumerLoop:
    """One thread, one connection: consume ``queues()`` until stopped, reconnecting as needed.

    With ``prefetch`` set, messages are acknowledged manually: ``on_message`` acks (or requeues)
    a message itself, or leaves it to whoever later calls :meth:`settle` with it. When stopped,
    the loop stops taking messages and keeps its connection until every message it handed out
    unacknowledged has been settled, so work that finished is acked, not redelivered.
    """

    def __init__(
        self,
        broker: Broker,
        name: str,
        queues: Callable[[], list[KombuQueue]],
        on_message: Callable[[KombuMessage], None],
        *,
        prefetch: int = 0,
    ) -> None:
        self._broker = broker
        self._queues = queues
        self._on_message = on_message
        self._prefetch = prefetch
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.connection: KombuConnection | None = None
        self._channel: Any = None
        self._settled: queue.SimpleQueue[KombuMessage] = queue.SimpleQueue()
        self._unsettled = 0  # handed out unacknowledged, not yet settled; consumer thread only
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self.stopping.set()

    def join(self) -> None:
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def settle(self, message: KombuMessage) -> None:
        """Ack ``message`` (handed out by ``on_message``) from the consumer thread. Thread-safe."""
        self._settled.put(message)

    def service(self) -> None:
        """Ack the settled messages and keep the heartbeat. Consumer thread only."""
        while True:
            try:
                message = self._settled.get_nowait()
            except queue.Empty:
                break
            self._unsettled -= 1
            if self._channel is not None and message.channel is self._channel:
                message.ack()
            else:
                LOG.debug(
                    "%s: not acking a message of a lost connection; the broker redelivers it",
                    self._thread.name,
                )
        if self.connection is not None:
            self.connection.heartbeat_check()

    def _deliver(self, message: KombuMessage) -> None:
        self._on_message(message)
        if self._prefetch and not message.acknowledged:
            self._unsettled += 1

    def _run(self) -> None:
        delay, lost = BACKOFF[0], False
        while not self.stopping.is_set():
            conn = self._broker.connection(heartbeat=HEARTBEAT)
            try:
                self._consume(conn, lost)
            except self._broker.errors as exc:
                if self.ready.is_set():  # it was working: start the backoff again from the top
                    delay = BACKOFF[0]
                self.ready.clear()
                lost = True
                LOG.warning(
                    "%s: no connection to the message broker at %s (%s); retrying in %.1f s",
                    self._thread.name,
                    self._broker.where,
                    describe(exc),
                    delay,
                )
                self.stopping.wait(delay)
                delay = min(delay * 2, BACKOFF[1])
            except Exception:
                LOG.exception("%s: unexpected error; reconnecting", self._thread.name)
                self.stopping.wait(BACKOFF[1])
            else:
                delay = BACKOFF[0]
            finally:
                self.ready.clear()
                self.connection = self._channel = None
                close_quietly(conn)

    def _consume(self, conn: KombuConnection, reconnecting: bool) -> None:
        conn.connect()
        channel = conn.channel()
        consumer = kombu.Consumer(
            channel,
            queues=self._queues(),
            on_message=self._deliver,
            no_ack=self._prefetch == 0,
        )
        if self._prefetch:
            consumer.qos(prefetch_count=self._prefetch)
        consumer.consume()
        self.connection, self._channel = conn, channel
        self.ready.set()
        if reconnecting:
            LOG.info(
                "%s: reconnected to the message broker at %s", self._thread.name, self._broker.where
            )
        while not self.stopping.is_set():
            self._poll(conn)
        if self._unsettled > 0:
            # NOTE: stopping: take no more messages, but keep the channel until the handlers
            # still running are done, so their messages are acked rather than redelivered.
            consumer.cancel()
            while self._unsettled > 0:
                self._poll(conn)

    def _poll(self, conn: KombuConnection) -> None:
        try:
            conn.drain_events(timeout=POLL)
        except TimeoutError:
            pass
        self.service()


def describe(exc: BaseException) -> str:
    """``ConnectionRefusedError: [Errno 111] Connection refused`` for log messages."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def close_quietly(conn: KombuConnection | None) -> None:
    """Release ``conn``, ignoring the errors a dead connection raises on close."""
    if conn is None:
        return
    try:
        conn.release()
    except Exception:  # NOTE: a dead connection may fail to close in many ways; it is gone anyway
        LOG.debug("ignoring error while closing a broker connection", exc_info=True)


__all__ = [
    "EXCHANGE",
    "Broker",
    "ConsumerLoop",
    "KombuConnection",
    "KombuMessage",
    "KombuQueue",
    "close_quietly",
    "describe",
    "fanout_exchange",
    "kombu",
    "parse_url",
    "server_queue",
    "topic_queue",
]
