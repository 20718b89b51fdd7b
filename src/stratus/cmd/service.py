"""Running services (conductor, scheduler, compute agents) inside a process.

A ``RunningService`` owns what one service started — RPC servers and periodic threads — and
stops them all. ``stratus up`` runs several in one process; ``stratus conductor`` etc. run one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from stratus.common import context
from stratus.common.context import RequestContext
from stratus.messaging.bus import RpcServer

LOG = logging.getLogger(__name__)


class Periodic:
    """Calls ``fn`` every ``interval`` seconds on a daemon thread until stopped.

    ``fn`` runs first right away when ``run_now``; an exception is logged and the loop goes on,
    so one failed heartbeat never ends the heartbeats.
    """

    def __init__(
        self, name: str, interval: float, fn: Callable[[], object], run_now: bool = True
    ) -> None:
        self.name = name
        self.interval = interval
        self.fn = fn
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(run_now,), name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def _loop(self, run_now: bool) -> None:
        if not run_now and self._stop.wait(self.interval):
            return
        while not self._stop.is_set():
            with context.bound(RequestContext()):
                try:
                    self.fn()
                except Exception:
                    LOG.exception("periodic task %s failed", self.name)
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)


class RunningService:
    """RPC servers and periodic tasks of one service; ``stop()`` ends them (idempotent)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.servers: list[RpcServer] = []
        self.periodics: list[Periodic] = []
        self.on_stop: list[Callable[[], object]] = []
        self._stopped = False

    def add_server(self, server: RpcServer) -> None:
        self.servers.append(server)

    def every(
        self, name: str, interval: float, fn: Callable[[], object], run_now: bool = True
    ) -> None:
        self.periodics.append(Periodic(f"{self.name}:{name}", interval, fn, run_now).start())

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for p in self.periodics:
            p.stop()
        for s in self.servers:
            s.stop()
        for fn in self.on_stop:
            try:
                fn()
            except Exception:
                LOG.exception("error while stopping %s", self.name)
        LOG.info("%s stopped", self.name)
