"""``stratus scheduler``: the scheduler service (placement decisions and claims)."""

from __future__ import annotations

from stratus.cmd import control_plane
from stratus.cmd.service import RunningService
from stratus.common.config import Config
from stratus.db.session import Database
from stratus.messaging.bus import MessageBus, Target
from stratus.rpcapi.scheduler import TOPIC
from stratus.scheduler.manager import SchedulerManager
from stratus.services.servicegroup import SCHEDULER


def start(cfg: Config, db: Database, bus: MessageBus) -> RunningService:
    """Serve topic ``scheduler`` (as server ``[DEFAULT] host``) and heartbeat as
    ``stratus-scheduler``. Several schedulers may run at once: claims are atomic."""
    service = RunningService(SCHEDULER)
    target = Target(TOPIC, server=cfg.default.host)
    service.add_server(bus.serve(target, SchedulerManager(cfg, db)))
    control_plane.add_heartbeat(service, cfg, db, TOPIC)
    return service


def run(cfg: Config) -> int:
    return control_plane.run(cfg, start, SCHEDULER)
