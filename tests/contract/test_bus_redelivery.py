"""Delivery guarantees of the RabbitMQ bus (``stratus.messaging.rabbit``), on a real broker.

A cast is acknowledged only once its handler has returned, so a server killed while handling it
leaves it to another server of its topic; casts are persistent, so a broker restart keeps them.
The in-process bus has no equivalent: its broker and servers die with the one process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.messaging import MessageBus, Target, get_bus, rpc_method
from stratus.messaging.rabbit import RabbitBus
from stratus.messaging.rabbit_conn import Broker
from tests.fixtures.rabbit import RabbitBroker
from tests.fixtures.waiting import scaled, wait_until

pytestmark = pytest.mark.rabbit

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0


class Holder:
    """Counts ``hold`` runs; every run waits for ``gate`` before it counts as finished."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.started: list[int] = []
        self.finished: list[int] = []

    @rpc_method
    def hold(self, n: int) -> None:
        with self.lock:
            self.started.append(n)
        self.gate.wait(scaled(WAIT * 2))
        with self.lock:
            self.finished.append(n)


@pytest.fixture
def topic() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def bus(rabbit_url: str) -> Iterator[MessageBus]:
    with get_bus(rabbit_url, default_timeout=scaled(WAIT)) as bus:
        yield bus


def queue_state(url: str, queue: str) -> tuple[int, int]:
    """(messages ready in ``queue``, consumers of it); delivered, unacked ones are not counted."""
    conn = Broker(url).connection()
    try:
        _, ready, consumers = conn.default_channel.queue_declare(queue=queue, passive=True)
        return int(ready), int(consumers)
    finally:
        conn.release()


def ready_messages(url: str, queue: str) -> int:
    return queue_state(url, queue)[0]


def test_a_cast_whose_server_is_killed_runs_on_another_server(
    rabbit_url: str, bus: MessageBus, topic: str, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.contract.redelivery_worker", rabbit_url, topic, str(marker)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "serving"
        bus.cast(Target(topic), "hold", {"n": 7})
        wait_until(marker.exists, WAIT, "the worker process to start the cast")
        worker.send_signal(signal.SIGKILL)
        worker.wait(scaled(WAIT))
    finally:
        worker.kill()
    survivor = Holder()
    survivor.gate.set()
    server = bus.serve(Target(topic, "survivor"), survivor)
    wait_until(lambda: survivor.finished, WAIT, "the cast to be redelivered to the survivor")
    server.stop()
    assert survivor.started == survivor.finished == [7]
    assert ready_messages(rabbit_url, topic) == 0, "the finished cast was not acknowledged"


def test_a_cast_finished_during_a_graceful_stop_is_not_redelivered(
    rabbit_url: str, bus: MessageBus, topic: str
) -> None:
    holder = Holder()
    server = bus.serve(Target(topic, "host1"), holder)
    bus.cast(Target(topic), "hold", {"n": 1})
    wait_until(lambda: holder.started, WAIT, "the handler to start")
    stopper = threading.Thread(target=server.stop, daemon=True)
    stopper.start()
    wait_until(lambda: queue_state(rabbit_url, topic)[1] == 0, WAIT, "the server to stop consuming")
    assert stopper.is_alive(), "stop() returned while a handler was still running"
    holder.gate.set()
    stopper.join(scaled(WAIT))
    assert not stopper.is_alive()
    assert holder.finished == [1]
    assert ready_messages(rabbit_url, topic) == 0, "a finished cast went back to the queue"


def test_a_cast_whose_connection_dropped_runs_again_once(
    rabbit_url: str, bus: MessageBus, topic: str
) -> None:
    """The first run's ack belongs to a dead channel: it is dropped, not sent on the new one."""
    holder = Holder()
    server: Any = bus.serve(Target(topic, "host1"), holder, executor_threads=2)
    bus.cast(Target(topic), "hold", {"n": 3})
    wait_until(lambda: holder.started, WAIT, "the handler to start")
    server.loop.connection.connection.transport.sock.shutdown(2)  # NOTE: SHUT_RDWR
    wait_until(lambda: len(holder.started) == 2, WAIT, "the broker to redeliver the cast")
    holder.gate.set()
    wait_until(lambda: len(holder.finished) == 2, WAIT, "both runs to finish")
    assert bus.call(Target(topic), "hold", {"n": 4}, timeout=scaled(WAIT)) is None
    server.stop()
    assert sorted(holder.started) == sorted(holder.finished) == [3, 3, 4]
    assert ready_messages(rabbit_url, topic) == 0


def test_casts_survive_a_broker_restart(rabbit_broker: RabbitBroker, topic: str) -> None:
    if not rabbit_broker.can_restart:
        reason = "the broker comes from STRATUS_TEST_RABBIT_URL; cannot restart it"
        print(f"\nskipping: {reason}")
        pytest.skip(reason)
    holder = Holder()
    holder.gate.set()
    with get_bus(rabbit_broker.url, default_timeout=scaled(WAIT)) as sender:
        sender.cast(Target(topic), "hold", {"n": 1})
        sender.cast(Target(topic, "host1"), "hold", {"n": 2})
    rabbit_broker.restart()
    with get_bus(rabbit_broker.url, default_timeout=scaled(WAIT)) as bus:
        assert isinstance(bus, RabbitBus)
        bus.serve(Target(topic, "host1"), holder)
        wait_until(lambda: len(holder.finished) == 2, WAIT, "the casts queued before the restart")
    assert sorted(holder.finished) == [1, 2]
