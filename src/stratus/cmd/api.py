"""``stratus api``: every REST API of the cloud in one process (a controller node)."""

from __future__ import annotations

import asyncio

from stratus.api import deploy
from stratus.cmd.serve import serve_all
from stratus.common.config import Config


def run(cfg: Config) -> int:
    db = deploy.open_database(cfg)
    try:
        deploy.prepare(cfg, db)
        asyncio.run(serve_all(deploy.build_apps(cfg, db), cfg.api.bind_host))
    finally:
        db.dispose()
    return 0
