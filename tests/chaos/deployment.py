"""The separate-process deployment under fault: 1 API, 1 conductor, 1 scheduler and two
``--virt fake`` agents (compute1, compute2) over the session's RabbitMQ and a killable
PostgreSQL, with short recovery timeouts; and how each part is killed and brought back."""

from __future__ import annotations

import time

import httpx

from tests.chaos.servers import ChaosProcesses, PgCluster, rabbit_kill9, rabbit_start
from tests.e2e.processes import MV, service_states, start_api, token, until, upload_image
from tests.fixtures.rabbit import RabbitBroker

# NOTE: the conductor's stuck-work check ([conductor], stratus/common/config_recovery.py) with
# short timeouts so the recovery bound fits a test; agents touch their work every 5 s, so a
# build nobody touches for 30 s is abandoned. Unknown options are ignored with a warning, so
# this works (and changes nothing) on a tree without the check.
RECOVERY_ENV = {
    "STRATUS_CONDUCTOR__BUILD_TIMEOUT": "30",
    "STRATUS_CONDUCTOR__TASK_TIMEOUT": "30",
    "STRATUS_CONDUCTOR__RECOVERY_INTERVAL": "5",
    "STRATUS_CONDUCTOR__PROGRESS_INTERVAL": "5",
}
# NOTE: a 2 s spawn makes "mid-boot" a span rather than an instant with the fake driver.
FAKE_ENV = {"STRATUS_FAKE_DRIVER__SPAWN_DELAY": "2"}
UNLIMITED = {"STRATUS_QUOTA__INSTANCES": "-1", "STRATUS_QUOTA__CORES": "-1",
             "STRATUS_QUOTA__RAM": "-1"}  # fmt: skip
# Seconds after the faulted part is back within which every server must be stable:
# build_timeout + recovery_interval + the service down time + room for a loaded machine.
RECOVERY_BOUND = 150.0
DOWNTIME = 5.0  # seconds a killed part stays down
COMPUTES = ("compute1", "compute2")
SERVICE_ARGS = {
    "conductor": ("conductor",),
    "scheduler": ("scheduler",),
    **{h: ("compute", "--host", h, "--virt", "fake") for h in COMPUTES},
}


def start(p: ChaosProcesses) -> httpx.Client:
    """Start every process; a client (admin, compute 2.79) once both agents are up."""
    p.env.update(RECOVERY_ENV, **FAKE_ENV, **UNLIMITED)
    start_api(p)
    for name, args in SERVICE_ARGS.items():
        p.start(name, *args)
    client = httpx.Client(headers={"X-Auth-Token": token(p), **MV}, timeout=60)
    until(lambda: set(service_states(client, p).values()) == {"up"}
          and len(service_states(client, p)) == 2, 90, "both agents up")  # fmt: skip
    return client


def image(client: httpx.Client, p: ChaosProcesses) -> str:
    return upload_image(client, p)


class Injector:
    """Kills (``kill``: SIGKILL) or restarts (``restart``: SIGTERM) one part and brings it back
    after :data:`DOWNTIME`; ``downtime`` is measured from the kill until the part answers."""

    def __init__(self, p: ChaosProcesses, pg: PgCluster, broker: RabbitBroker) -> None:
        self.p, self.pg, self.broker = p, pg, broker

    def inject(self, target: str, mode: str) -> float:
        t0 = time.monotonic()
        self._down(target, mode)
        time.sleep(DOWNTIME)  # NOTE: the fault itself (how long the part is away), not a wait
        self._up(target)
        return time.monotonic() - t0

    def _down(self, target: str, mode: str) -> None:
        if target == "rabbitmq":
            if mode == "kill":
                rabbit_kill9(self.broker)
            else:
                self.broker.stop()
        elif target == "postgres":
            if mode == "kill":
                self.pg.kill9()
            else:
                self.pg.stop()
        elif mode == "kill":
            self.p.kill9(target)
        else:
            self.p.stop(target)

    def _up(self, target: str) -> None:
        if target == "rabbitmq":
            rabbit_start(self.broker)
        elif target == "postgres":
            self.pg.start()
        elif target == "api":
            start_api(self.p)
        else:
            self.p.restart(target)
