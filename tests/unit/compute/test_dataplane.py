"""The agent's dataplane glue: what it asks the conductor and tells the backend, and when."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from stratus.common import config
from stratus.compute import dataplane
from stratus.compute.ops.common import AgentEnv
from stratus.network.backend import BackendCapabilities
from stratus.network.backends.noop import NoopBackend
from stratus.objects.network import VIF, NetworkDataplane, SecurityRule


def vif(port_id: str, network_id: str = "n1", groups: Sequence[str] = ("g1",)) -> VIF:
    return VIF(
        port_id=port_id,
        network_id=network_id,
        mac_address="fa:16:3e:00:00:01",
        security_group_ids=list(groups),
    )


class Backend(NoopBackend):
    """Records the host-side calls; ``networks`` are the ones "set up" here."""

    capabilities = BackendCapabilities(dhcp=True, enforces_security_groups=True)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []
        self.networks: set[str] = set()

    def setup_network(self, net: NetworkDataplane) -> None:
        self.networks.add(net.id)
        self.calls.append(("setup", net.id))

    def teardown_network(self, network_id: str) -> None:
        self.networks.discard(network_id)
        self.calls.append(("teardown", network_id))

    def host_network_ids(self) -> list[str]:
        return sorted(self.networks)

    def unplug(self, host: str, vif: VIF) -> None:
        self.calls.append(("unplug", vif.port_id))

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        self.calls.append(("rules", (port.port_id, [r.id for r in rules])))


class Conductor:
    """Answers from ``networks`` (what the database would say) and counts the calls."""

    def __init__(self, *networks: NetworkDataplane) -> None:
        self.networks = {n.id: n for n in networks}
        self.asked: list[str] = []

    def network_dataplane(self, host: str, network_ids: list[str]) -> list[NetworkDataplane]:
        self.asked.append("network_dataplane")
        bound = {n.id for n in self.networks.values() if n.ports}
        return [self.networks[i] for i in sorted(bound | set(network_ids)) if i in self.networks]

    def port_security_rules(self, port_ids: list[str]) -> dict[str, list[SecurityRule]]:
        self.asked.append("port_security_rules")
        rule = SecurityRule(id="r-{}", security_group_id="g1", direction="egress")
        return {p: [rule.model_copy(update={"id": f"r-{p}"})] for p in port_ids}


class Metadata:
    def __init__(self) -> None:
        self.served: list[str] = []
        self.forgotten: list[str] = []

    def ensure(self, network_id: str) -> bool:
        self.served.append(network_id)
        return True

    def forget(self, network_id: str) -> None:
        self.forgotten.append(network_id)


def make_env(tmp_path: Path, conductor: Conductor, backend: Any) -> AgentEnv:
    env = AgentEnv(
        host="h1",
        cfg=config.load(state_path=str(tmp_path), environ={}),
        driver=None,  # type: ignore[arg-type]
        conductor=conductor,  # type: ignore[arg-type]
        compute=None,  # type: ignore[arg-type]
        network=backend,
        images=None,  # type: ignore[arg-type]
    )
    env.metadata = Metadata()  # type: ignore[assignment]
    return env


@pytest.fixture
def backend() -> Backend:
    return Backend()


def test_prepare_sets_up_the_networks_then_loads_the_ports_rules(
    tmp_path: Path, backend: Backend
) -> None:
    port = vif("p1")
    other = NetworkDataplane(id="n2", ports=[vif("p9", "n2")])
    conductor = Conductor(NetworkDataplane(id="n1", ports=[port]), other)
    env = make_env(tmp_path, conductor, backend)
    env.plug([port])
    assert backend.calls == [("setup", "n1"), ("rules", ("p1", ["r-p1"]))]
    assert env.metadata.served == ["n1"]  # type: ignore[union-attr]
    env.unplug([port])
    assert backend.calls[-1] == ("unplug", "p1")


def test_noop_backend_costs_no_round_trip(tmp_path: Path) -> None:
    conductor = Conductor(NetworkDataplane(id="n1", ports=[vif("p1")]))
    env = make_env(tmp_path, conductor, NoopBackend())
    env.plug([vif("p1")])
    dataplane.refresh_security_groups(env, ["g1"], [])
    dataplane.refresh_networks(env, ["n1"])
    dataplane.resync(env)
    assert conductor.asked == []


def test_security_group_change_re_renders_only_affected_local_ports(
    tmp_path: Path, backend: Backend
) -> None:
    net = NetworkDataplane(
        id="n1", ports=[vif("p1", groups=["g1"]), vif("p2", groups=["g2"]), vif("p3", groups=[])]
    )
    env = make_env(tmp_path, Conductor(net), backend)
    dataplane.refresh_security_groups(env, ["g1"], ["p3"])
    assert backend.calls == []  # no network of ours here yet: nothing to do
    backend.networks.add("n1")
    dataplane.refresh_security_groups(env, ["g1"], ["p3"])
    assert backend.calls == [("rules", ("p1", ["r-p1"])), ("rules", ("p3", ["r-p3"]))]


def test_network_change_re_reads_local_networks_and_removes_deleted_ones(
    tmp_path: Path, backend: Backend
) -> None:
    env = make_env(tmp_path, Conductor(NetworkDataplane(id="n1")), backend)
    backend.networks.update({"n1", "gone"})
    dataplane.refresh_networks(env, ["n1", "gone", "elsewhere"])
    assert backend.calls == [("teardown", "gone"), ("setup", "n1")]
    assert env.metadata.forgotten == ["gone"]  # type: ignore[union-attr]


def test_resync_rebuilds_bound_networks_and_drops_deleted_ones(
    tmp_path: Path, backend: Backend
) -> None:
    conductor = Conductor(NetworkDataplane(id="n1", ports=[vif("p1")]))
    env = make_env(tmp_path, conductor, backend)
    backend.networks.add("old")
    dataplane.resync(env)
    assert backend.calls == [("setup", "n1"), ("teardown", "old"), ("rules", ("p1", ["r-p1"]))]
