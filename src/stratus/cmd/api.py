"""``stratus api``: every REST API of the cloud in one process (a controller node)."""

from __future__ import annotations

import asyncio
import sys

from stratus.api import deploy
from stratus.cmd import image_upkeep
from stratus.cmd.listen import ListenError
from stratus.cmd.serve import serve_all
from stratus.common.config import Config
from stratus.messaging.transport import get_bus


def run(cfg: Config) -> int:
    db = deploy.open_database(cfg)
    bus = get_bus(cfg.default.transport_url, default_timeout=cfg.default.rpc_response_timeout)
    upkeep = None
    try:
        deploy.prepare(cfg, db)
        apps = deploy.build_apps(cfg, db, bus)
        upkeep = image_upkeep.start(cfg, db)
        asyncio.run(serve_all(apps, cfg.api.bind_host))
    except ListenError as exc:
        print(f"stratus api: {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        if upkeep is not None:
            upkeep.stop()
        bus.close()
        db.dispose()
    return 0
