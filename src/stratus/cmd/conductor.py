"""``stratus conductor``: the conductor service (workflows and the compute agents' database)."""

from __future__ import annotations

from stratus.cmd import control_plane
from stratus.cmd.service import RunningService
from stratus.common.config import Config
from stratus.conductor.manager import ConductorManager
from stratus.conductor.recovery import StuckWorkCheck
from stratus.db.session import Database
from stratus.messaging.bus import MessageBus, Target
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import TOPIC
from stratus.services.network import events as network_events
from stratus.services.servicegroup import CONDUCTOR


def start(cfg: Config, db: Database, bus: MessageBus) -> RunningService:
    """Serve topic ``conductor`` (as server ``[DEFAULT] host``), heartbeat as
    ``stratus-conductor`` and run the stuck-work check (``conductor.recovery``) now and every
    ``[conductor] recovery_interval`` seconds; ``stop()`` on the result ends them."""
    service = RunningService(CONDUCTOR)
    # NOTE: ports the conductor allocates and frees change what the hosts' dataplane allows
    network_events.install_for(cfg, ComputeAPI(bus, timeout=cfg.default.rpc_response_timeout))
    target = Target(TOPIC, server=cfg.default.host)
    manager = ConductorManager(cfg, db, bus)
    service.add_server(bus.serve(target, manager, executor_threads=16))
    control_plane.add_heartbeat(service, cfg, db, TOPIC)
    if cfg.conductor.recovery_interval > 0:
        in_process = cfg.default.transport_url.startswith("memory://")
        check = StuckWorkCheck(manager.services, manager, in_process_bus=in_process)
        service.every("stuck-work", cfg.conductor.recovery_interval, check.run)
    return service


def run(cfg: Config) -> int:
    return control_plane.run(cfg, start, CONDUCTOR)
