"""Agent environments for unit tests: fake driver, conductor double, recorded casts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.fixtures.conductor_double import ComputeCasts, ConductorDouble

from stratus.common import config
from stratus.common.context import RequestContext, bound
from stratus.compute.agent import ComputeAgent
from stratus.compute.image_client import ImageClient
from stratus.compute.ops.common import AgentEnv
from stratus.network.backends.noop import NoopBackend
from stratus.virt.fake import FakeDriver


class World:
    """Several hosts sharing one conductor double and one cast queue."""

    def __init__(self, tmp_path: Path, transport: httpx.BaseTransport | None = None) -> None:
        self.cfg = config.load(state_path=str(tmp_path / "state"), environ={})
        self.conductor = ConductorDouble()
        self.casts = ComputeCasts()
        self.transport = transport or httpx.MockTransport(lambda r: httpx.Response(500))
        self.envs: dict[str, AgentEnv] = {}
        self.agents: dict[str, ComputeAgent] = {}

    def env(self, host: str = "h1") -> AgentEnv:
        if host not in self.envs:
            driver = FakeDriver(self.cfg.fake_driver)
            driver.init_host(host)
            self.envs[host] = AgentEnv(
                host=host,
                cfg=self.cfg,
                driver=driver,
                conductor=self.conductor,  # type: ignore[arg-type]
                compute=self.casts,  # type: ignore[arg-type]
                network=NoopBackend(),
                images=ImageClient("http://id.example/v3", transport=self.transport),
            )
            self.agents[host] = ComputeAgent(self.envs[host])
        return self.envs[host]

    def driver(self, host: str = "h1") -> FakeDriver:
        driver = self.env(host).driver
        assert isinstance(driver, FakeDriver)
        return driver

    def pump(self) -> list[str]:
        return self.casts.pump(self.agents)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


@pytest.fixture
def user_request() -> Callable[[], object]:
    """A bound user request context (so action events are recorded)."""
    return lambda: bound(RequestContext(request_id="req-test", user_id="u1", project_id="p1"))
