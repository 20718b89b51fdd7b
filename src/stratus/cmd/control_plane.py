"""Shared by ``stratus conductor`` and ``stratus scheduler``: heartbeats and the process main.

Both processes open the database, connect to the bus, serve their RPC topic, refresh their
service record every ``[DEFAULT] report_interval`` seconds and run until SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from stratus.cmd.service import RunningService
from stratus.common.config import Config
from stratus.db.session import Database
from stratus.messaging.bus import MessageBus
from stratus.messaging.transport import get_bus
from stratus.services import servicegroup

LOG = logging.getLogger(__name__)

StartFn = Callable[[Config, Database, MessageBus], RunningService]


def heartbeat(db: Database, host: str, binary: str, topic: str) -> None:
    """One heartbeat: create or refresh the ``(host, binary)`` service record."""
    with db.write() as session:
        servicegroup.report(session, host, binary, topic)


def add_heartbeat(service: RunningService, cfg: Config, db: Database, topic: str) -> None:
    """Heartbeat now and then every ``report_interval`` seconds until the service stops."""
    host = cfg.default.host
    service.every(
        "heartbeat",
        max(cfg.default.report_interval, 1),
        lambda: heartbeat(db, host, service.name, topic),
    )


def wait_for_signal(stop: threading.Event | None = None) -> int:
    """Block until SIGINT or SIGTERM (or ``stop`` is set); returns the signal number or 0."""
    stop = stop or threading.Event()
    received = {"signal": 0}

    def _handler(signum: int, _frame: FrameType | None) -> None:
        received["signal"] = signum
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received["signal"]


def run(cfg: Config, start: StartFn, name: str) -> int:
    """Process main: open the database and the bus, ``start``, wait for a signal, stop."""
    if cfg.default.transport_url.startswith("memory://"):
        LOG.warning(
            "%s uses the in-process bus (transport_url %s): only this process can reach it; "
            "set [DEFAULT] transport_url = rabbit://… for a multi-process cloud",
            name,
            cfg.default.transport_url,
        )
    # NOTE: imported here, not at the top: only this check needs Alembic, and the conductor and
    # scheduler processes stay lighter without it (and without the API stack).
    from stratus.db import migrate

    db = Database.from_config(cfg)
    if not migrate.is_current(db.engine):
        LOG.error(
            "%s: the database schema is not up to date (%s, need %s); "
            "run 'stratus manage db sync' first",
            name,
            migrate.current(db.engine) or "empty",
            migrate.head(),
        )
        db.dispose()
        return 2
    bus = get_bus(cfg.default.transport_url, default_timeout=cfg.default.rpc_response_timeout)
    try:
        service = start(cfg, db, bus)
        LOG.info("%s running on host %s", name, cfg.default.host)
        signum = wait_for_signal()
        LOG.info("%s stopping (signal %s)", name, signum)
        service.stop()
    finally:
        bus.close()
        db.dispose()
    return 0
