"""The noVNC console proxy: noVNC's web page and the websocket that reaches one instance's VNC.

A console URL (``services.compute.consoles``) opens ``/vnc_auto.html?path=%3Ftoken%3D<token>``
here; noVNC then opens a websocket to ``/?token=<token>``. For that websocket the proxy:

1. refuses a cross-site handshake (an ``Origin`` whose host:port differs from ``Host``);
2. has the conductor consume the token (``authorize``): it must be known, unused, unexpired
   and bound to an instance that still lives on this host — a token is good for one
   connection only;
3. computes the VNC socket of *that* instance itself (``socket_path(instance uuid)``, the virt
   driver's layout), never from anything the client sent, and checks the token says the same;
4. accepts (echoing the ``binary`` subprotocol when asked, as websockify does) and pipes bytes
   both ways: binary websocket frames <-> the unix socket, until either side closes.

A refused handshake is closed before ``accept`` (the client sees HTTP 403); the log says why,
with the connection's request id. ``/vnc_auto.html`` serves noVNC's ``vnc_lite.html``: the
page that connects at once (Debian links ``vnc_auto.html`` to ``vnc.html``, which waits for a
click on "Connect").
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from anyio.abc import SocketStream
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from stratus.common import context
from stratus.common.context import RequestContext
from stratus.objects.console import ConsoleConnectInfo

LOG = logging.getLogger(__name__)

CHUNK = 64 * 1024
CLOSE_POLICY = 1008  # RFC 6455: policy violation
CLOSE_UNSUPPORTED = 1003
LITE_PAGE = "vnc_lite.html"

Authorize = Callable[[str], ConsoleConnectInfo | None]
SocketPath = Callable[[str], Path]


@dataclasses.dataclass(frozen=True)
class ProxySettings:
    """What one proxy needs: its host, the token check, the socket layout, noVNC's files."""

    host: str
    authorize: Authorize  # blocking (an RPC call to the conductor)
    socket_path: SocketPath
    novnc_dir: Path


class Refused(Exception):
    """The handshake is refused; the message says why (logged, never sent to the client)."""


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser: nothing cross-site to guard against
    netloc = urllib.parse.urlsplit(origin).netloc.lower()
    return netloc == ws.headers.get("host", "").lower()


def _token(ws: WebSocket) -> str:
    """From the query (``/?token=…``, what noVNC sends) or, as websockify allows, a cookie."""
    return ws.query_params.get("token") or ws.cookies.get("token") or ""


class ConsoleProxy:
    """The websocket endpoint (``/`` or any other path, like websockify)."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings

    def _target(self, info: ConsoleConnectInfo) -> Path:
        """The socket to connect to for a consumed token (``Refused`` if anything is off)."""
        if info.host != self.settings.host:
            raise Refused(f"token is for host {info.host}, this proxy serves {self.settings.host}")
        if info.console_type != "novnc":
            raise Refused(f"token is for a {info.console_type} console")
        try:
            instance_uuid = str(uuid.UUID(info.instance_uuid))
        except ValueError:
            raise Refused(f"token names no instance ({info.instance_uuid!r})") from None
        try:
            path = self.settings.socket_path(instance_uuid)
        except Exception as exc:  # e.g. NotSupported: a driver without VNC consoles
            raise Refused(f"no VNC console on this host: {exc}") from None
        if info.internal_access_path and Path(info.internal_access_path) != path:
            raise Refused(
                f"token names {info.internal_access_path}, the VNC server of instance "
                f"{instance_uuid} on this host is {path}"
            )
        return path

    async def _authorize(self, ws: WebSocket) -> tuple[str, Path]:
        if not _same_origin(ws):
            raise Refused(f"origin {ws.headers.get('origin')} does not match this proxy")
        token = _token(ws)
        if not token:
            raise Refused("no token")
        try:
            info = await run_in_threadpool(self.settings.authorize, token)
        except Exception as exc:
            raise Refused(f"token check failed: {type(exc).__name__}: {exc}") from None
        if info is None:
            raise Refused("invalid, used or expired token")
        return info.instance_uuid, self._target(info)

    async def handle(self, ws: WebSocket) -> None:
        with context.bound(RequestContext()):
            peer = f"{ws.client.host}:{ws.client.port}" if ws.client else "?"
            try:
                instance_uuid, path = await self._authorize(ws)
                vnc = await self._connect(instance_uuid, path)
            except Refused as why:
                LOG.warning("console connection from %s refused: %s", peer, why)
                await ws.close(code=CLOSE_POLICY)
                return
            requested = ws.scope.get("subprotocols") or []
            await ws.accept(subprotocol="binary" if "binary" in requested else None)
            LOG.info("console of instance %s opened for %s", instance_uuid, peer)
            sent, received = await _pipe(ws, vnc)
            LOG.info(
                "console of instance %s closed for %s (%d bytes in, %d bytes out)",
                instance_uuid, peer, received, sent,
            )  # fmt: skip

    @staticmethod
    async def _connect(instance_uuid: str, path: Path) -> SocketStream:
        try:
            return await anyio.connect_unix(path)
        except OSError as exc:
            raise Refused(
                f"the VNC server of instance {instance_uuid} does not answer ({exc.strerror})"
            ) from None


async def _pipe(ws: WebSocket, vnc: SocketStream) -> tuple[int, int]:
    """Copy both ways until one side ends; (bytes to the client, bytes from the client)."""
    counts = [0, 0]

    async def to_client() -> None:
        while True:
            data = await vnc.receive(CHUNK)
            await ws.send_bytes(data)
            counts[0] += len(data)

    async def from_client() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:  # a text frame: RFB is binary
                await ws.close(code=CLOSE_UNSUPPORTED)
                return
            await vnc.send(data)
            counts[1] += len(data)

    try:
        async with anyio.create_task_group() as tasks:
            for copy in (to_client, from_client):
                tasks.start_soon(_until_done, copy, tasks.cancel_scope)
    finally:
        with anyio.CancelScope(shield=True):
            await vnc.aclose()
            with contextlib.suppress(Exception):
                await ws.close()
    return counts[0], counts[1]


async def _until_done(copy: Callable[[], Awaitable[None]], scope: anyio.CancelScope) -> None:
    """Run one direction; when it ends (EOF, a closed peer, an error) stop the other too."""
    try:
        await copy()
    except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass
    except Exception as exc:  # the peer went away mid-write: nothing to do but stop
        LOG.debug("console %s ended: %s: %s", copy.__name__, type(exc).__name__, exc)
    finally:
        scope.cancel()


class RedactTokens(logging.Filter):
    """Keeps console tokens out of log lines (uvicorn logs each websocket's path and query)."""

    PATTERN = re.compile(r"(token(?:=|%3D))[^&\s\"']+", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.PATTERN.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def build_app(settings: ProxySettings) -> Starlette:
    """The proxy's ASGI application (noVNC's files + the console websocket)."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RedactTokens) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(RedactTokens())
    novnc = settings.novnc_dir
    if not (novnc / LITE_PAGE).is_file():
        LOG.warning(
            "noVNC is not installed in %s (Debian package novnc, or set [vnc] novnc_dir): "
            "console pages will answer 503", novnc,
        )  # fmt: skip

    async def lite_page(_request: Request) -> Response:
        page = novnc / LITE_PAGE
        if not page.is_file():
            return PlainTextResponse(f"noVNC is not installed in {novnc}", status_code=503)
        # NOTE: the page's URL holds the token: keep it out of Referer headers and caches.
        headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
        return FileResponse(page, media_type="text/html", headers=headers)

    routes = [
        Route("/vnc_auto.html", lite_page),
        WebSocketRoute("/{path:path}", ConsoleProxy(settings).handle),
        Mount("/", StaticFiles(directory=novnc, check_dir=False)),
    ]
    return Starlette(routes=routes)


__all__ = ["ConsoleProxy", "ProxySettings", "RedactTokens", "Refused", "build_app"]
