"""``stratus novncproxy [--host NAME]``: the noVNC console proxy of one compute host (Nova's
``nova-novncproxy``).

It listens on ``[vnc] novncproxy_host`` (default ``[api] bind_host``) port ``[vnc]
novncproxy_port`` (6080), checks console tokens with the conductor over the bus (it never opens
the database) and reaches the VNC servers of this host's instances on their unix sockets, found
with the virt driver's layout (``[compute] virt_driver``, ``instances_path``). ``stratus up``
runs the same application in its own process (:func:`make_app`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from stratus.api.deploy import ApiApp
from stratus.cmd.listen import ListenError
from stratus.cmd.serve import serve_all
from stratus.common.config import Config, ConfigError
from stratus.console.novncproxy import ProxySettings, build_app
from stratus.db import engine
from stratus.messaging.bus import MessageBus
from stratus.messaging.transport import get_bus
from stratus.rpcapi.conductor import ConductorAPI
from stratus.virt import loader
from stratus.virt.driver import VirtDriver

LOG = logging.getLogger(__name__)

# NOTE: a token check is one small transaction; a user waits on it, so do not wait for long.
AUTHORIZE_TIMEOUT = 15.0


def bind_host(cfg: Config) -> str:
    return cfg.vnc.novncproxy_host or cfg.api.bind_host


def make_app(cfg: Config, bus: MessageBus, host: str, driver: VirtDriver) -> ApiApp:
    """The proxy for compute host ``host`` whose instances run on ``driver``."""
    conductor = ConductorAPI(bus, timeout=AUTHORIZE_TIMEOUT)
    settings = ProxySettings(
        host=host,
        authorize=conductor.console_token_consume,
        socket_path=driver.vnc_socket_path,
        novnc_dir=Path(cfg.vnc.novnc_dir),
    )
    return ApiApp("novncproxy", cfg.vnc.novncproxy_port, build_app(settings), host=bind_host(cfg))


def run(cfg: Config, host: str | None = None) -> int:
    """Process main of ``stratus novncproxy``; returns the exit code."""
    engine.forbid_database_access()
    host = host or cfg.default.host
    try:
        driver = loader.load(cfg.compute.virt_driver, cfg)
        bus = get_bus(cfg.default.transport_url, default_timeout=cfg.default.rpc_response_timeout)
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 2
    if not driver.capabilities.supports_vnc_console:
        LOG.warning("the %s virt driver has no VNC consoles; the proxy will refuse every token",
                    cfg.compute.virt_driver)  # fmt: skip
    app = make_app(cfg, bus, host, driver)
    try:
        asyncio.run(serve_all([app], bind_host(cfg)))
    except ListenError as exc:
        print(f"stratus novncproxy: {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        bus.close()
    return 0
