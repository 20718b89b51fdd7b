"""``stratus compute --host NAME [--virt fake]``: one compute agent (Nova's ``nova-compute``).

The agent never opens the database: :func:`run` forbids it before anything else happens, and
every read and write goes through the conductor over the bus. :func:`start` is also used by
``stratus up`` and by tests, which run several agents in one process.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from collections.abc import Callable

import httpx

from stratus.cmd.service import RunningService
from stratus.common.config import Config, ConfigError
from stratus.compute import periodic, resource_tracker
from stratus.compute.agent import ComputeAgent
from stratus.compute.image_client import ImageClient
from stratus.compute.ops.common import AgentEnv
from stratus.compute.rpcapi import ComputeAPI
from stratus.conductor.rpcapi import ConductorAPI
from stratus.db import engine
from stratus.messaging.bus import MessageBus, Target
from stratus.messaging.transport import get_bus
from stratus.network import backend as network_backend
from stratus.virt import loader

LOG = logging.getLogger(__name__)

# NOTE: the first reports wait at most this long, so an agent started before its conductor
# comes up quickly; the periodic tasks keep trying at their normal pace.
STARTUP_TIMEOUT = 10.0


def make_env(
    cfg: Config, bus: MessageBus, host: str, virt: str, http_transport: httpx.BaseTransport | None
) -> AgentEnv:
    """The agent's environment: driver (initialised), RPC clients, network backend, images."""
    driver = loader.load(virt, cfg)
    driver.init_host(host)
    env = AgentEnv(
        host=host,
        cfg=cfg,
        driver=driver,
        conductor=ConductorAPI(bus, timeout=cfg.default.rpc_response_timeout),
        compute=ComputeAPI(bus, timeout=cfg.default.rpc_response_timeout),
        network=network_backend.load(cfg.network.backend),
        images=ImageClient(cfg.auth_url, cfg.default.region_name, transport=http_transport),
    )
    env.builds = threading.BoundedSemaphore(max(1, cfg.compute.max_concurrent_builds))
    return env


class ComputeService(RunningService):
    """A running agent; ``env`` gives tests its driver (e.g. the fake driver's test hooks)."""

    def __init__(self, env: AgentEnv) -> None:
        super().__init__(f"stratus-compute:{env.host}")
        self.env = env


def _with_timeout(env: AgentEnv, timeout: float) -> AgentEnv:
    """A copy of ``env`` whose conductor calls give up after ``timeout`` seconds."""
    return dataclasses.replace(env, conductor=env.conductor.prepare(timeout=timeout))


def _try(what: str, fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:
        LOG.exception("compute start-up: %s failed (will retry periodically)", what)


def start(
    cfg: Config,
    bus: MessageBus,
    host: str,
    virt: str,
    *,
    http_transport: httpx.BaseTransport | None = None,
) -> ComputeService:
    """Start a compute agent for ``host`` on ``bus``; ``stop()`` the result to end it.

    Serves ``Target("compute", server=host)``, reports the service and the host's resources,
    recovers instances left mid-task, then heartbeats and reports every ``report_interval`` and
    syncs power states every ``[compute] sync_power_state_interval``.
    """
    env = make_env(cfg, bus, host, virt, http_transport)
    service = ComputeService(env)
    quick = _with_timeout(env, STARTUP_TIMEOUT)
    _try("heartbeat", lambda: periodic.heartbeat(quick))
    _try("resource report", lambda: resource_tracker.report(quick))
    service.add_server(
        bus.serve(
            Target("compute", server=host),
            ComputeAgent(env),
            executor_threads=max(8, cfg.compute.max_concurrent_builds),
        )
    )
    _try("instance recovery", lambda: periodic.recover_instances(quick))
    interval = max(1, cfg.default.report_interval)
    service.every("heartbeat", interval, lambda: periodic.heartbeat(env), run_now=False)
    service.every("resources", interval, lambda: resource_tracker.report(env), run_now=False)
    service.every(
        "power-sync",
        max(1, cfg.compute.sync_power_state_interval),
        lambda: periodic.sync_power_states(env),
        run_now=False,
    )
    LOG.info("compute agent %s started (virt driver %s)", host, virt)
    return service


def _wait_for_signal() -> None:
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        LOG.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    while not stop.wait(1.0):
        pass


def run(cfg: Config, host: str | None = None, virt: str | None = None) -> int:
    """Process main of ``stratus compute``; returns the exit code."""
    engine.forbid_database_access()
    host = host or cfg.default.host
    virt = virt or cfg.compute.virt_driver
    if cfg.default.transport_url.startswith("memory://"):
        LOG.warning(
            "[DEFAULT] transport_url is memory://: this agent can only reach services in its own "
            "process; set a rabbit:// URL to join a cloud"
        )
    try:
        loader.load(virt, cfg)
        bus = get_bus(cfg.default.transport_url, default_timeout=cfg.default.rpc_response_timeout)
    except ConfigError as exc:
        LOG.error("%s", exc)
        return 2
    try:
        service = start(cfg, bus, host, virt)
        try:
            _wait_for_signal()
        finally:
            service.stop()
    finally:
        bus.close()
    return 0
