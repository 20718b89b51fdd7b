"""Serving several ASGI applications from one event loop, stopping cleanly on SIGINT/SIGTERM.

Every application's sockets are bound before any server starts (:mod:`stratus.cmd.listen`), so
a port in use ends the command with one line naming it (``ListenError``), not a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator, Sequence

import uvicorn

from stratus.api.deploy import ApiApp
from stratus.cmd import listen

LOG = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to ``serve_all``."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # older uvicorn releases
        return None


def _server(app: ApiApp, host: str) -> _Server:
    config = uvicorn.Config(
        app.app,
        host=app.host or host,
        port=app.port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_keep_alive=30,
    )
    return _Server(config)


async def _wait_started(servers: Sequence[_Server], tasks: Sequence[asyncio.Task[None]]) -> bool:
    """True once every server listens; False as soon as one of them gave up."""
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):
            for s in servers:
                s.should_exit = True
            return False
        await asyncio.sleep(0.05)
    return True


def _signal_handler(
    servers: Sequence[_Server], stopping: asyncio.Event, on_stop: Callable[[], None] | None
) -> Callable[[int], None]:
    def stop(signum: int) -> None:
        if stopping.is_set():
            LOG.warning("second signal: forcing exit")
            for s in servers:
                s.force_exit = True
            return
        LOG.info("received %s, stopping", signal.Signals(signum).name)
        stopping.set()
        if on_stop is not None:
            on_stop()
        for s in servers:
            s.should_exit = True

    return stop


async def serve_all(
    apps: Sequence[ApiApp],
    host: str,
    on_ready: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Serve ``apps`` until a signal arrives; ``on_ready`` runs once every app listens.

    Raises ``listen.ListenError`` before serving anything when an app cannot listen.
    """
    bound: list[list[socket.socket]] = []
    try:
        for a in apps:
            bound.append(listen.bind(a.name, a.host or host, a.port))
        await _serve(apps, host, bound, on_ready, on_stop)
    finally:
        for sockets in bound:
            listen.close(sockets)


async def _serve(
    apps: Sequence[ApiApp],
    host: str,
    bound: Sequence[list[socket.socket]],
    on_ready: Callable[[], None] | None,
    on_stop: Callable[[], None] | None,
) -> None:
    servers = [_server(a, host) for a in apps]
    loop = asyncio.get_running_loop()
    stop = _signal_handler(servers, asyncio.Event(), on_stop)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    tasks = [asyncio.create_task(s.serve(sockets=b)) for s, b in zip(servers, bound, strict=True)]
    if await _wait_started(servers, tasks):
        for a in apps:
            LOG.info("%s API listening on %s:%d", a.name, a.host or host, a.port)
        if on_ready is not None:
            on_ready()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    if not all(s.started for s in servers):
        raise SystemExit("an API could not start (see the log above)")
