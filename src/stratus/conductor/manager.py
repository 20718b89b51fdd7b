"""The conductor's RPC endpoint (topic ``conductor``): one thin method per ``ConductorAPI``
method, delegating to the workflow tasks (``tasks/``) and the database proxy (``db_proxy``).

Compute agents never open the database; everything they read or write goes through here.
"""

from __future__ import annotations

import logging
from typing import Any

from stratus.common.config import Config
from stratus.common.exceptions import StratusError
from stratus.compute.rpcapi import ComputeAPI
from stratus.conductor import db_proxy
from stratus.conductor.tasks.base import Services
from stratus.conductor.tasks.build import BuildTask
from stratus.conductor.tasks.migrate import MigrateTask
from stratus.conductor.tasks.reschedule import RescheduleTask
from stratus.db.session import Database
from stratus.messaging.bus import MessageBus, rpc_method
from stratus.objects.compute_node import HostResources
from stratus.objects.console import ConsoleConnectInfo
from stratus.objects.flavor import Flavor
from stratus.objects.instance import Instance
from stratus.objects.metadata import InstanceMetadata
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule
from stratus.objects.request_spec import RequestSpec
from stratus.scheduler.rpcapi import SchedulerAPI
from stratus.services import compute_consoles

LOG = logging.getLogger(__name__)


class ConductorManager:
    """Serves ``ConductorAPI`` (``conductor/rpcapi.py`` is the contract)."""

    RPC_API_VERSION = "1.0"

    def __init__(self, cfg: Config, db: Database, bus: MessageBus) -> None:
        timeout = cfg.default.rpc_response_timeout
        self.cfg = cfg
        self.db = db
        self.services = Services(
            cfg, db, SchedulerAPI(bus, timeout=timeout), ComputeAPI(bus, timeout=timeout)
        )

    # -- workflows (casts from the API) ------------------------------------------------------
    @rpc_method
    def build_instances(self, instance_uuids: list[str], request_spec: RequestSpec) -> None:
        _run(BuildTask(self.services, instance_uuids, request_spec))

    @rpc_method
    def migrate_server(
        self,
        instance_uuid: str,
        new_flavor: Flavor | None,
        host: str | None,
        request_spec: RequestSpec,
    ) -> None:
        _run(MigrateTask(self.services, instance_uuid, new_flavor, host, request_spec))

    @rpc_method
    def build_failed(self, instance_uuid: str, host: str, reason: str) -> None:
        _run(RescheduleTask(self.services, instance_uuid, host, reason))

    # -- database proxy for compute agents ---------------------------------------------------
    @rpc_method
    def service_report(self, host: str, binary: str, topic: str) -> dict[str, Any]:
        return db_proxy.service_report(self.db, host, binary, topic)

    @rpc_method
    def compute_node_report(self, resources: HostResources) -> None:
        db_proxy.compute_node_report(self.db, self.cfg, resources)

    @rpc_method
    def instance_get(self, instance_uuid: str) -> Instance:
        return db_proxy.instance_get(self.db, instance_uuid)

    @rpc_method
    def instances_on_host(self, host: str) -> list[Instance]:
        return db_proxy.instances_on_host(self.db, host)

    @rpc_method
    def instance_update(
        self,
        instance_uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None = None,
    ) -> Instance:
        return db_proxy.instance_update(self.db, instance_uuid, values, expected_task_state)

    @rpc_method
    def instance_fault_create(
        self, instance_uuid: str, code: int, message: str, details: str, host: str
    ) -> None:
        db_proxy.instance_fault_create(self.db, instance_uuid, code, message, details, host)

    @rpc_method
    def action_event_start(
        self, instance_uuid: str, request_id: str, event: str, host: str
    ) -> None:
        db_proxy.action_event_start(self.db, instance_uuid, request_id, event, host)

    @rpc_method
    def action_event_finish(
        self,
        instance_uuid: str,
        request_id: str,
        event: str,
        result: str,
        traceback: str | None = None,
    ) -> None:
        db_proxy.action_event_finish(self.db, instance_uuid, request_id, event, result, traceback)

    @rpc_method
    def network_info(self, instance_uuid: str) -> list[VIF]:
        return db_proxy.network_info(self.db, instance_uuid)

    @rpc_method
    def instance_destroyed(self, instance_uuid: str, host: str) -> None:
        db_proxy.instance_destroyed(self.db, instance_uuid, host)

    @rpc_method
    def migration_update(self, migration_uuid: str, status: str) -> None:
        db_proxy.migration_update(self.db, migration_uuid, status)

    @rpc_method
    def resize_confirmed(self, instance_uuid: str, migration_uuid: str) -> None:
        db_proxy.resize_confirmed(self.db, instance_uuid, migration_uuid)

    @rpc_method
    def resize_reverted(self, instance_uuid: str, migration_uuid: str) -> None:
        db_proxy.resize_reverted(self.db, instance_uuid, migration_uuid)

    # -- console proxies -------------------------------------------------------------------
    @rpc_method
    def console_token_consume(self, token: str) -> ConsoleConnectInfo | None:
        return compute_consoles.consume_token(self.db, token)

    # -- metadata servers --------------------------------------------------------------------
    @rpc_method
    def metadata_for_address(self, network_id: str, address: str) -> InstanceMetadata | None:
        return db_proxy.metadata_for_address(self.db, network_id, address)

    # -- network dataplane of compute hosts ----------------------------------------------------
    @rpc_method
    def network_dataplane(self, host: str, network_ids: list[str]) -> list[NetworkDataplane]:
        return db_proxy.network_dataplane(self.db, host, network_ids)

    @rpc_method
    def port_security_rules(self, port_ids: list[str]) -> dict[str, list[SecurityRule]]:
        return db_proxy.port_security_rules(self.db, port_ids)


def _run(task: BuildTask | MigrateTask | RescheduleTask) -> None:
    """Run a workflow started by a cast: its rollback has recorded the failure on the
    instance, so an expected error is logged here rather than raised to nobody."""
    try:
        task.execute()
    except StratusError as error:
        LOG.info("%s ended with %s: %s", type(task).__name__, type(error).__name__, error)
