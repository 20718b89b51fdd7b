"""A server process for ``test_bus_redelivery``: serves ``TOPIC`` on RabbitMQ until killed.

    python -m tests.contract.redelivery_worker RABBIT_URL TOPIC MARKER

Its ``hold`` cast handler writes ``MARKER`` and then never returns, so the test can kill -9 the
process while the handler is running.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from stratus.messaging import Target, get_bus, rpc_method


class Holder:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    @rpc_method
    def hold(self, n: int) -> None:
        self.marker.write_text(str(n))
        threading.Event().wait()  # NOTE: until the test kills this process


def main(url: str, topic: str, marker: str) -> None:
    bus = get_bus(url, default_timeout=30.0)
    bus.serve(Target(topic, "doomed"), Holder(Path(marker)))
    print("serving", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(*sys.argv[1:4])
