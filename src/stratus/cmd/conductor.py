"""``stratus conductor``: the conductor service (workflows and the compute agents' database)."""

from __future__ import annotations

from stratus.cmd import control_plane
from stratus.cmd.service import RunningService
from stratus.common.config import Config
from stratus.conductor.manager import ConductorManager
from stratus.db.session import Database
from stratus.messaging.bus import MessageBus, Target
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import TOPIC
from stratus.services.network import events as network_events
from stratus.services.servicegroup import CONDUCTOR


def start(cfg: Config, db: Database, bus: MessageBus) -> RunningService:
    """Serve topic ``conductor`` (as server ``[DEFAULT] host``) and heartbeat as
    ``stratus-conductor``; ``stop()`` on the result ends both."""
    service = RunningService(CONDUCTOR)
    # NOTE: ports the conductor allocates and frees change what the hosts' dataplane allows
    network_events.install_for(cfg, ComputeAPI(bus, timeout=cfg.default.rpc_response_timeout))
    target = Target(TOPIC, server=cfg.default.host)
    service.add_server(bus.serve(target, ConductorManager(cfg, db, bus), executor_threads=16))
    control_plane.add_heartbeat(service, cfg, db, TOPIC)
    return service


def run(cfg: Config) -> int:
    return control_plane.run(cfg, start, CONDUCTOR)
