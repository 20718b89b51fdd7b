"""``stratus up``: the whole cloud in one process, on SQLite and the in-process bus.

The APIs, the conductor, the scheduler and one compute agent (host = this machine's host name,
virt driver from ``--virt`` / ``[compute] virt_driver``) share one bus and one database. With the
qemu driver, the test guest image is built (cached) and registered as ``cirros`` once the APIs
listen, before the "ready" banner. The agent's noVNC console proxy (``stratus novncproxy``)
listens on ``[vnc] novncproxy_port`` (6080).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time

from stratus.api import deploy
from stratus.cmd import compute, conductor, image_upkeep, novncproxy, scheduler, test_image
from stratus.cmd.listen import ListenError
from stratus.cmd.serve import serve_all
from stratus.cmd.service import RunningService
from stratus.common.config import Config, ConfigError
from stratus.messaging.transport import get_bus
from stratus.services.identity.bootstrap import openrc_path

LOG = logging.getLogger(__name__)


def _banner(cfg: Config, started: float) -> None:
    admin_rc = openrc_path(cfg.state_path, "admin")
    lines = [
        "",
        f"Stratus is ready ({time.monotonic() - started:.1f} s).",
        f"  identity: {cfg.endpoint_url(cfg.identity.port, '/v3')}",
        f"  image:    {cfg.endpoint_url(cfg.image.port)}",
        f"  compute:  {cfg.endpoint_url(cfg.compute.api_port, '/v2.1')}",
        f"  network:  {cfg.endpoint_url(cfg.network.api_port)}",
        f"  consoles: {cfg.endpoint_url(cfg.vnc.novncproxy_port, '/vnc_auto.html')} (noVNC)",
        f"  source {admin_rc}      (admin)",
        f"  source {openrc_path(cfg.state_path, 'demo')}       (demo)",
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _on_ready(cfg: Config, started: float) -> None:
    """The banner; with the qemu driver, first the test image (in a thread: the APIs serve)."""
    if cfg.compute.virt_driver != "qemu" or not cfg.compute.register_test_image:
        _banner(cfg, started)
        return

    def prepare_image() -> None:
        try:
            test_image.ensure(cfg)
        except Exception as exc:
            LOG.error(
                "the test image is not registered (%s); retry with: "
                "stratus manage image build-test --register",
                exc,
            )
        _banner(cfg, started)

    threading.Thread(target=prepare_image, name="test-image", daemon=True).start()


def run(cfg: Config) -> int:
    started = time.monotonic()
    try:
        compute.check_privileges(cfg)
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 2
    db = deploy.open_database(cfg)
    bus = get_bus(cfg.default.transport_url, default_timeout=cfg.default.rpc_response_timeout)
    services: list[RunningService] = []
    try:
        deploy.prepare(cfg, db)
        apps = deploy.build_apps(cfg, db, bus)
        services.append(image_upkeep.start(cfg, db))
        services.append(conductor.start(cfg, db, bus))
        services.append(scheduler.start(cfg, db, bus))
        agent = compute.start(cfg, bus, cfg.default.host, cfg.compute.virt_driver)
        services.append(agent)
        apps.append(novncproxy.make_app(cfg, bus, cfg.default.host, agent.env.driver))
        asyncio.run(serve_all(apps, cfg.api.bind_host, on_ready=lambda: _on_ready(cfg, started)))
    except ListenError as exc:
        print(f"stratus up: {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        for service in reversed(services):
            service.stop()
        bus.close()
        db.dispose()
    LOG.info("stopped")
    return 0
