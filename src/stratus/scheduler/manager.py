"""The scheduler's RPC endpoint (topic ``scheduler``): thin, the engine does the work."""

from __future__ import annotations

import logging

from stratus.common.config import Config
from stratus.db.session import Database
from stratus.messaging.remote import Endpoint
from stratus.objects.request_spec import NoValidHostReport, RequestSpec, Selection
from stratus.rpcapi.scheduler import NoValidHost, SchedulerAPI
from stratus.scheduler.engine import Engine

LOG = logging.getLogger(__name__)


class SchedulerManager(Endpoint, surface=SchedulerAPI):
    """Serves ``SchedulerAPI`` (``stratus/rpcapi/scheduler.py`` is the contract)."""

    def __init__(self, cfg: Config, db: Database, engine: Engine | None = None) -> None:
        self.engine = engine or Engine(cfg, db)

    def select_destinations(
        self, request_spec: RequestSpec, instance_uuids: list[str]
    ) -> list[Selection] | list[NoValidHostReport]:
        """Claimed hosts, one per instance; when nothing fits, a one-item list holding a
        ``NoValidHostReport`` (both fault texts), which the client raises as ``NoValidHost``."""
        try:
            return self.engine.select_destinations(request_spec, list(instance_uuids))
        except NoValidHost as error:
            return [error.report()]
