"""``stratus compute --host NAME [--virt qemu|fake]``: one compute agent (Nova's ``nova-compute``).

The agent never opens the database: :func:`run` forbids it before anything else happens, and
every read and write goes through the conductor over the bus. :func:`start` is also used by
``stratus up`` and by tests, which run several agents in one process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import httpx

from stratus.client.auth import PasswordSession
from stratus.cmd.service import RunningService
from stratus.common import service_credentials
from stratus.common.config import Config, ConfigError
from stratus.compute import dataplane, periodic, resource_tracker
from stratus.compute.agent import ComputeAgent
from stratus.compute.image_client import ImageClient
from stratus.compute.image_fetch import ImageFetcher
from stratus.compute.ops.common import AgentEnv
from stratus.db import engine
from stratus.messaging.bus import MessageBus, Target
from stratus.messaging.transport import get_bus
from stratus.network import backend as network_backend
from stratus.network.backend import NetworkBackend, UnknownBackend
from stratus.network.metadata import service as metadata_service
from stratus.network.metadata.service import MetadataService
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.virt import loader
from stratus.virt.driver import VirtDriver

if TYPE_CHECKING:
    from stratus.virt.qemu.vifs import VifPlugger

LOG = logging.getLogger(__name__)

# NOTE: the first reports wait at most this long, so an agent started before its conductor
# comes up quickly; the periodic tasks keep trying at their normal pace.
STARTUP_TIMEOUT = 10.0
# NOTE: a guest waiting for its metadata should not wait a minute for a conductor that is down.
METADATA_LOOKUP_TIMEOUT = 10.0


def vif_plugger(backend: NetworkBackend) -> VifPlugger | None:
    """The tap-device plug-in a network backend offers the qemu driver (``vif_plugger()``)."""
    factory = getattr(backend, "vif_plugger", None)
    return cast("VifPlugger", factory()) if callable(factory) else None


def load_driver(
    cfg: Config,
    virt: str,
    backend: NetworkBackend,
    http_transport: httpx.BaseTransport | None = None,
) -> VirtDriver:
    """The (not yet initialised) virt driver with what it needs from this host's services.

    The qemu driver fetches images as the service user (``[service_user]``) and gets its tap
    devices from the network backend.
    """
    if virt != "qemu":
        return loader.load(virt, cfg)
    session = PasswordSession(service_credentials.load(cfg), transport=http_transport)
    return loader.load(virt, cfg, fetch_image=ImageFetcher(session), plugger=vif_plugger(backend))


def check_privileges(cfg: Config, euid: int | None = None) -> None:
    """``ConfigError`` up front when the host dataplane cannot be built by this user (rather
    than every guest failing its build later)."""
    euid = os.geteuid() if euid is None else euid
    if cfg.network.backend == "linuxbridge" and euid != 0:
        raise ConfigError(
            "the linuxbridge network backend creates network namespaces, bridges and taps on "
            "this host and needs root: run as root (sudo), or run without real VMs "
            "(--virt fake, or [network] backend = noop)"
        )


def make_env(
    cfg: Config, bus: MessageBus, host: str, virt: str, http_transport: httpx.BaseTransport | None
) -> AgentEnv:
    """The agent's environment: driver (initialised), RPC clients, network backend, images."""
    backend = network_backend.load(cfg.network.backend, network_backend.runtime_dir(cfg.state_path))
    driver = load_driver(cfg, virt, backend, http_transport)
    driver.init_host(host)
    env = AgentEnv(
        host=host,
        cfg=cfg,
        driver=driver,
        conductor=ConductorAPI(bus, timeout=cfg.default.rpc_response_timeout),
        compute=ComputeAPI(bus, timeout=cfg.default.rpc_response_timeout),
        network=backend,
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
    service.every(
        "progress",
        max(1, cfg.conductor.progress_interval),
        lambda: periodic.touch_working(env),
        run_now=False,
    )
    schedule_image_cache(cfg, env, service)
    env.metadata = start_metadata(cfg, env, service)
    # NOTE: runs at once too: after a host reboot the namespaces are rebuilt from the database
    service.every("dataplane", max(1, cfg.network.resync_interval), lambda: dataplane.resync(env))
    LOG.info("compute agent %s started (virt driver %s)", host, virt)
    return service


def schedule_image_cache(cfg: Config, env: AgentEnv, service: RunningService) -> None:
    """Nova's image cache manager: every ``[image_cache] manager_interval`` seconds (0: 60,
    -1: never), unless ``remove_unused_base_images`` is off."""
    ic = cfg.image_cache
    if ic.manager_interval < 0 or not ic.remove_unused_base_images:
        LOG.info("image cache manager off: cached base images are never removed")
        return
    interval = ic.manager_interval or 60
    service.every("image-cache", interval, lambda: periodic.manage_image_cache(env), run_now=False)


def start_metadata(cfg: Config, env: AgentEnv, service: RunningService) -> MetadataService | None:
    """This host's metadata servers (one per ``qdhcp-*`` namespace) when the network backend
    runs DHCP namespaces here and ``[network] metadata_service`` is on."""
    if not (cfg.network.metadata_service and env.network.capabilities.dhcp):
        return None
    conductor = env.conductor.prepare(timeout=METADATA_LOOKUP_TIMEOUT)
    metadata = MetadataService(conductor.metadata_for_address)
    service.every("metadata", metadata_service.SYNC_INTERVAL, metadata.sync)
    service.on_stop.append(metadata.stop)
    return metadata


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
        check_privileges(cfg)
        load_driver(cfg, virt, network_backend.load(cfg.network.backend))  # (checks only)
        bus = get_bus(cfg.default.transport_url, default_timeout=cfg.default.rpc_response_timeout)
    except (ConfigError, UnknownBackend) as exc:
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
