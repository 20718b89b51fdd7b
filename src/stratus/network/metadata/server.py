"""The metadata HTTP server of one network: 169.254.169.254:80 inside its namespace.

Who is asking is decided by the connection, never by the request: the TCP peer's address must
be a fixed IP of a port on this server's network (the conductor answers ``lookup(network_id,
ip)``), and the namespace's neighbour table must show that address at the port's MAC address —
so an instance that takes another's IP address but keeps its own MAC gets nothing. Headers such
as ``X-Forwarded-For`` or ``X-Instance-ID`` are ignored. Unknown callers get 404, like any
missing path; a conductor that cannot answer gives 503.

Answers are cached per address for a few seconds (a booting guest asks several paths at once);
the MAC check runs on every request. Guests cannot tie the server up: it serves a bounded number
of connections at once and gives each a deadline (:mod:`.httpd`).
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from stratus.common import context
from stratus.common.context import RequestContext
from stratus.network.metadata import content
from stratus.network.metadata.httpd import MAX_CONNECTIONS, REQUEST_DEADLINE, BoundedHTTPServer
from stratus.network.metadata.netns import Neighbours
from stratus.objects.metadata import InstanceMetadata

LOG = logging.getLogger(__name__)

METADATA_IP = "169.254.169.254"
METADATA_PORT = 80
CACHE_SECONDS = 5.0
REQUEST_TIMEOUT = 10.0  # NOTE: per read; a whole request has httpd.REQUEST_DEADLINE

Lookup = Callable[[str, str], InstanceMetadata | None]
"""``(network_id, ip) -> InstanceMetadata | None``: the instance whose port on that network
holds that fixed IP (``ConductorAPI.metadata_for_address`` on a compute host)."""


@dataclasses.dataclass(frozen=True)
class Caller:
    """The outcome of :func:`identify`: the instance, or why the request is refused."""

    metadata: InstanceMetadata | None
    reason: str = ""


def identify(network_id: str, ip: str, lookup: Lookup, neighbours: Neighbours) -> Caller:
    """Which instance sent a request from ``ip`` on ``network_id`` (see the module docstring)."""
    md = lookup(network_id, ip)
    if md is None:
        return Caller(None, f"no instance has address {ip} on network {network_id}")
    port = next(
        (
            vif
            for vif in md.vifs
            if vif.network_id == network_id and any(f.address == ip for f in vif.fixed_ips)
        ),
        None,
    )
    if port is None:
        return Caller(None, f"instance {md.instance.uuid} has no port with {ip} on {network_id}")
    mac = neighbours.mac_of(ip)
    if mac is None:
        return Caller(None, f"no neighbour entry for {ip}")
    if mac.lower() != port.mac_address.lower():
        return Caller(None, f"{ip} answers from {mac}, but its port {port.port_id} has "
                            f"{port.mac_address}")  # fmt: skip
    return Caller(md)


class CachedLookup:
    """``lookup`` with answers (found instances only) kept for ``ttl`` seconds."""

    def __init__(
        self,
        lookup: Lookup,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, InstanceMetadata]] = {}

    def __call__(self, network_id: str, ip: str) -> InstanceMetadata | None:
        key = (network_id, ip)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self._ttl:
                return hit[1]
        with context.bound(RequestContext()):
            md = self._lookup(network_id, ip)
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self._ttl}
            if md is not None:
                self._cache[key] = (now, md)
        return md


class _HTTPServer(BoundedHTTPServer):
    network_id: str
    lookup: Lookup
    neighbours: Neighbours


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"
    server_version = "stratus-metadata"
    sys_version = ""
    timeout = REQUEST_TIMEOUT

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        self._not_allowed()

    def do_PUT(self) -> None:
        self._not_allowed()

    def do_DELETE(self) -> None:
        self._not_allowed()

    def _not_allowed(self) -> None:
        self._reply(405, content.Answer(b"405 Method Not Allowed"), True, {"Allow": "GET, HEAD"})

    def _answer(self, send_body: bool) -> None:
        ip = str(self.client_address[0])
        srv = self.server
        # NOTE: from here the time is the lookup's, not the client's
        if not srv.pause_deadline(self.connection):
            self.close_connection = True
            return
        try:
            caller = identify(srv.network_id, ip, srv.lookup, srv.neighbours)
        except Exception:
            LOG.exception("metadata lookup for %s on network %s failed", ip, srv.network_id)
            self._reply(503, content.Answer(b"503 Service Unavailable"), send_body)
            return
        if caller.metadata is None:
            LOG.info("metadata request %s from %s refused: %s", self.path, ip, caller.reason)
            self._reply(404, content.Answer(b"404 Not Found"), send_body)
            return
        path = urllib.parse.urlsplit(self.path).path
        answer = content.resolve(caller.metadata, path)
        if answer is None:
            self._reply(404, content.Answer(b"404 Not Found"), send_body)
            return
        self._reply(200, answer, send_body)

    def _reply(
        self,
        status: int,
        answer: content.Answer,
        send_body: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.server.restart_deadline(self.connection)
        self.send_response(status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        LOG.debug("metadata %s: " + format, self.client_address[0], *args)


class MetadataServer:
    """Serves one network's metadata on an already listening socket (see :mod:`.netns`)."""

    def __init__(
        self,
        network_id: str,
        sock: socket.socket,
        lookup: Lookup,
        neighbours: Neighbours,
        on_close: Callable[[], None] | None = None,
        poll_interval: float = 0.5,
        max_connections: int = MAX_CONNECTIONS,
        deadline: float = REQUEST_DEADLINE,
    ) -> None:
        httpd = _HTTPServer(
            sock.getsockname(),
            _Handler,
            bind_and_activate=False,
            max_connections=max_connections,
            deadline=deadline,
        )
        httpd.socket.close()
        httpd.socket = sock
        httpd.network_id = network_id
        httpd.lookup = lookup
        httpd.neighbours = neighbours
        self.network_id = network_id
        self._httpd = httpd
        self._on_close = on_close
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name=f"metadata:{network_id[:8]}",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def connections(self) -> int:
        """Connections being served now (at most ``max_connections``)."""
        return self._httpd.connections

    def start(self) -> MetadataServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (and whatever ``on_close`` closes). Idempotent."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=10)
        self._httpd.server_close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None
