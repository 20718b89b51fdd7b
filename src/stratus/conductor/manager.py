"""The conductor's RPC endpoint (topic ``conductor``): serves ``ConductorAPI``
(``rpcapi/conductor.py`` declares every method, checked when this class is created).

The workflows (casts from the API) run the tasks in ``tasks/``; everything compute hosts read
or write — compute agents never open the database — is the database proxy (``db_proxy``).
"""

from __future__ import annotations

import logging

from stratus.common.config import Config
from stratus.common.exceptions import StratusError
from stratus.conductor.db_proxy import DatabaseProxy
from stratus.conductor.tasks.base import Services
from stratus.conductor.tasks.build import BuildTask
from stratus.conductor.tasks.migrate import MigrateTask
from stratus.conductor.tasks.reschedule import RescheduleTask
from stratus.db.session import Database
from stratus.messaging.bus import MessageBus
from stratus.messaging.remote import Endpoint
from stratus.objects.flavor import Flavor
from stratus.objects.request_spec import RequestSpec
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.rpcapi.scheduler import SchedulerAPI

LOG = logging.getLogger(__name__)


class ConductorManager(DatabaseProxy, Endpoint, surface=ConductorAPI):
    """The workflows here, the database proxy inherited from ``DatabaseProxy``."""

    def __init__(self, cfg: Config, db: Database, bus: MessageBus) -> None:
        super().__init__(cfg, db)
        timeout = cfg.default.rpc_response_timeout
        self.services = Services(
            cfg, db, SchedulerAPI(bus, timeout=timeout), ComputeAPI(bus, timeout=timeout)
        )

    def build_instances(self, instance_uuids: list[str], request_spec: RequestSpec) -> None:
        _run(BuildTask(self.services, instance_uuids, request_spec))

    def migrate_server(
        self,
        instance_uuid: str,
        new_flavor: Flavor | None,
        host: str | None,
        request_spec: RequestSpec,
    ) -> None:
        _run(MigrateTask(self.services, instance_uuid, new_flavor, host, request_spec))

    def build_failed(self, instance_uuid: str, host: str, reason: str) -> None:
        _run(RescheduleTask(self.services, instance_uuid, host, reason))


def _run(task: BuildTask | MigrateTask | RescheduleTask) -> None:
    """Run a workflow started by a cast: its rollback has recorded the failure on the
    instance, so an expected error is logged here rather than raised to nobody."""
    try:
        task.execute()
    except StratusError as error:
        LOG.info("%s ended with %s: %s", type(task).__name__, type(error).__name__, error)
