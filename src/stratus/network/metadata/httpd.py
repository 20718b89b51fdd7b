"""A threaded HTTP server that slow or greedy clients cannot exhaust (the metadata servers').

``http.server.ThreadingHTTPServer`` starts one thread per connection without bound, and its
handlers' timeout applies to each read: a guest that sends a byte every few seconds keeps its
thread forever, and a guest that opens connections by the thousand gets a thread for each.
:class:`BoundedHTTPServer` instead

* serves at most ``max_connections`` connections at once: one more is answered
  ``503 Service Unavailable`` at once and closed (cloud-init retries);
* gives each connection ``deadline`` seconds to deliver its request, and again to take its
  answer; the time the handler itself needs in between (asking the conductor) is not the
  client's (:meth:`~BoundedHTTPServer.pause_deadline`, :meth:`~BoundedHTTPServer.restart_deadline`).
  Past its deadline a connection is shut down, which ends whatever read or write its thread is
  blocked in. The server's own thread checks the deadlines between two polls.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOG = logging.getLogger(__name__)

MAX_CONNECTIONS = 32
REQUEST_DEADLINE = 10.0
_BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\n503 Service Unavailable\n"
)


class BoundedHTTPServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` with a connection limit and per-request deadlines."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: Callable[..., BaseHTTPRequestHandler],
        bind_and_activate: bool = True,
        *,
        max_connections: int = MAX_CONNECTIONS,
        deadline: float = REQUEST_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(address, handler, bind_and_activate)
        self.max_connections = max_connections
        self.deadline = deadline
        self._clock = clock
        self._lock = threading.Lock()
        # NOTE: connection -> when it is cut off (None: the handler is working, not the client)
        self._open: dict[Any, float | None] = {}
        self._cut: set[Any] = set()

    @property
    def connections(self) -> int:
        """Connections being served now."""
        with self._lock:
            return len(self._open)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve ``request`` in a thread of its own, or refuse it when the server is full."""
        with self._lock:
            full = len(self._open) >= self.max_connections
            if not full:
                self._open[request] = self._clock() + self.deadline
        if full:
            LOG.warning(
                "metadata: refusing a connection from %s: %d connections are open",
                client_address[0],
                self.max_connections,
            )
            self._refuse(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request: socket.socket) -> None:
        with contextlib.suppress(OSError):
            request.setblocking(False)
            request.sendall(_BUSY)
            request.recv(65536)  # NOTE: unread bytes would turn the close into a reset
        self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        """Forget and close a connection (after its handler, or when refused)."""
        with self._lock:
            self._open.pop(request, None)
            self._cut.discard(request)
        super().shutdown_request(request)

    def pause_deadline(self, request: Any) -> bool:
        """The handler works on the request now: the client's clock stops. False when the
        connection was cut off (what the handler read is then truncated: drop it)."""
        with self._lock:
            if request in self._cut:
                return False
            if request in self._open:
                self._open[request] = None
            return True

    def restart_deadline(self, request: Any) -> None:
        """The client's turn again (to take the answer): a new ``deadline`` starts."""
        with self._lock:
            if request in self._open:
                self._open[request] = self._clock() + self.deadline

    def service_actions(self) -> None:
        """Cut off the connections past their deadline (called by ``serve_forever``)."""
        now = self._clock()
        with self._lock:
            late = [r for r, due in self._open.items() if due is not None and due <= now]
            for request in late:
                self._open[request] = None  # NOTE: cut off once; the handler then closes it
                self._cut.add(request)
        for request in late:
            LOG.info("metadata: cutting off a connection that took over %.0f s", self.deadline)
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)

    def server_close(self) -> None:
        """Stop listening and cut off every connection still open."""
        super().server_close()
        with self._lock:
            still_open = list(self._open)
            self._cut.update(still_open)
        for request in still_open:
            with contextlib.suppress(OSError):
                request.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection broke mid-request (often one cut off): one debug line, no traceback."""
        LOG.debug("metadata: connection from %s failed", client_address[0], exc_info=True)


__all__ = ["MAX_CONNECTIONS", "REQUEST_DEADLINE", "BoundedHTTPServer"]
