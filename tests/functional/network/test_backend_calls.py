"""The network services drive the dataplane: the backend hears about networks; compute hosts hear
(by fanout, after commit) which security groups, ports and networks changed, and read the rules
and networks they need through the conductor's queries (``services.network.dataplane``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from stratus.common.config import Config
from stratus.db.models.compute import Instance
from stratus.network import backend
from stratus.network.backend import BackendCapabilities, NetworkSpec
from stratus.objects.network import VIF, SecurityRule
from stratus.services.network import dataplane, server_ports
from stratus.services.network import events as network_events
from tests.fixtures.cloud import Cloud, make_config
from tests.functional.network.conftest import Net
from tests.functional.network.server_rows import allocate, instance_row

CALLS: list[tuple[str, Any]] = []
published: list[tuple[str, list[str], list[str]]] = []


class RecordingBackend:
    """Records every call the control plane makes."""

    name = "recording"
    capabilities = BackendCapabilities(enforces_security_groups=True, vif_type="tap")

    def ensure_network(self, net: NetworkSpec) -> None:
        CALLS.append(("ensure", net))

    def delete_network(self, network_id: str) -> None:
        CALLS.append(("delete", network_id))

    def plug(self, host: str, vif: VIF) -> None:
        CALLS.append(("plug", vif))

    def unplug(self, host: str, vif: VIF) -> None:
        CALLS.append(("unplug", vif))

    def apply_security_groups(self, port: VIF, rules: Sequence[SecurityRule]) -> None:
        CALLS.append(("rules", (port, list(rules))))


class RecordingListener:
    """Stands in for the compute agents' fanout client."""

    def security_groups_changed(self, security_group_ids: list[str], port_ids: list[str]) -> None:
        published.append(("security_groups", security_group_ids, port_ids))

    def networks_changed(self, network_ids: list[str]) -> None:
        published.append(("networks", network_ids, []))


@pytest.fixture(autouse=True)
def events(cloud: Cloud) -> Iterator[list[tuple[str, list[str], list[str]]]]:
    network_events.install(RecordingListener())
    published.clear()
    yield published
    network_events.install(None)
    published.clear()


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    monkeypatch.setitem(backend.BACKENDS, "recording", f"{__name__}:RecordingBackend")
    CALLS.clear()
    yield make_config(tmp_path / "state", db_url, network={"backend": "recording"})
    CALLS.clear()


def _rules(cloud: Cloud, port_id: str) -> list[SecurityRule]:
    with cloud.db.read() as s:
        return dataplane.port_rules(s, [port_id])[port_id]


def test_networks_are_ensured_with_their_subnets_and_deleted(alice: Net) -> None:
    CALLS.clear()
    net = alice.create("network", name="dp", mtu=1450)
    alice.create("subnet", network_id=net["id"], cidr="10.60.0.0/24", ip_version=4)
    ensured = [spec for kind, spec in CALLS if kind == "ensure"]
    assert [(s.id, s.mtu, s.cidrs) for s in ensured] == [
        (net["id"], 1450, ()),
        (net["id"], 1450, ("10.60.0.0/24",)),
    ]
    alice.delete(f"/v2.0/networks/{net['id']}")
    assert CALLS[-1] == ("delete", net["id"])


def test_deleted_networks_are_announced_to_the_hosts(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.59.0.0/24")
    published.clear()
    alice.delete(f"/v2.0/networks/{net['id']}")
    assert published == [("networks", [net["id"]], [])]


def test_rules_follow_ports_and_groups(cloud: Cloud, alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.61.0.0/24")
    sg = alice.create("security_group", name="web")
    published.clear()
    port = alice.create("port", network_id=net["id"], security_groups=[sg["id"]])
    assert published == [("security_groups", [], [port["id"]])]
    assert sorted(r.ethertype for r in _rules(cloud, port["id"])) == ["IPv4", "IPv6"]
    published.clear()
    rule = alice.create(
        "security_group_rule",
        security_group_id=sg["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
    )
    assert published == [("security_groups", [sg["id"]], [])]
    latest = _rules(cloud, port["id"])
    assert rule["id"] in [r.id for r in latest] and len(latest) == 3
    published.clear()
    alice.post("/v2.0/security-group-rules", {"security_group_rule": {
        "security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22,
    }})  # fmt: skip
    assert published == []  # 409 duplicate: rolled back, nothing published
    alice.delete(f"/v2.0/security-group-rules/{rule['id']}")
    assert len(_rules(cloud, port["id"])) == 2
    published.clear()
    alice.put(
        f"/v2.0/ports/{port['id']}",
        {"port": {"security_groups": [], "port_security_enabled": False}},
    )
    assert published == [("security_groups", [], [port["id"]])]
    assert _rules(cloud, port["id"]) == []


def test_server_ports_get_their_rules_and_vif_type(cloud: Cloud, alice: Net) -> None:
    server = instance_row(cloud, alice.project_id)
    vifs = allocate(cloud, server, alice.project_id)
    assert vifs[0].vif_type == "tap"
    address = vifs[0].fixed_ips[0].address
    pushed = _rules(cloud, vifs[0].port_id)
    # NOTE: the default group admits its members: the port itself is the only one so far
    assert {(r.direction, r.ethertype, r.remote_ip_prefix) for r in pushed} == {
        ("egress", "IPv4", None),
        ("egress", "IPv6", None),
        ("ingress", "IPv4", f"{address}/32"),
    }
    extra = alice.create("security_group", name="extra")
    alice.create(
        "security_group_rule", security_group_id=extra["id"], direction="ingress", protocol="icmp"
    )
    published.clear()
    with cloud.db.write() as s:
        server_ports.add_security_group(s, server, alice.project_id, "extra")
    default = next(g for g in vifs[0].security_group_ids)
    assert published == [("security_groups", [default], [vifs[0].port_id])]
    assert any(r.protocol == "icmp" for r in _rules(cloud, vifs[0].port_id))


def test_hosts_see_their_bound_ports_but_not_those_being_deleted(cloud: Cloud, alice: Net) -> None:
    net, subnet = alice.network_with_subnet("10.62.0.0/24", dns_nameservers=["192.0.2.53"])
    server = instance_row(cloud, alice.project_id)
    vifs = allocate(cloud, server, alice.project_id, [{"uuid": net["id"]}], groups=())
    with cloud.db.read() as s:
        (seen,) = dataplane.for_host(s, "h1", [])
        assert dataplane.for_host(s, "h2", []) == []
        assert dataplane.for_host(s, "h2", [net["id"], "deleted-net"])[0].ports == []
    assert seen.id == net["id"]
    assert [(x.id, x.gateway_ip, x.dns_nameservers) for x in seen.subnets] == [
        (subnet["id"], "10.62.0.1", ["192.0.2.53"])
    ]
    assert [p.port_id for p in seen.ports] == [vifs[0].port_id]
    assert seen.hostnames == {vifs[0].port_id: "vm"}
    with cloud.db.write() as s:
        row = s.get(Instance, server)
        assert row is not None
        row.task_state = "deleting"
    with cloud.db.read() as s:
        assert dataplane.for_host(s, "h1", []) == []
        assert dataplane.for_host(s, "h1", [net["id"]])[0].ports == []
