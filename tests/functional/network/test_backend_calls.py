"""The network services drive the dataplane backend: networks ensured and deleted, rules pushed
to every affected port when the backend enforces security groups."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from stratus.common.config import Config
from stratus.db.models.compute import Instance
from stratus.network import backend
from stratus.network.backend import BackendCapabilities, NetworkSpec
from stratus.objects.network import VIF, SecurityRule
from stratus.services import network_ports
from tests.fixtures.cloud import Cloud, make_config
from tests.functional.network.conftest import Net

CALLS: list[tuple[str, Any]] = []


class RecordingBackend:
    """Records every call; claims to enforce security groups so rules are pushed."""

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


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Config]:
    monkeypatch.setitem(backend.BACKENDS, "recording", f"{__name__}:RecordingBackend")
    CALLS.clear()
    yield make_config(tmp_path / "state", db_url, network={"backend": "recording"})
    CALLS.clear()


def _rules_for(port_id: str) -> list[list[SecurityRule]]:
    return [
        rules
        for kind, (vif, rules) in ((k, v) for k, v in CALLS if k == "rules")
        if vif.port_id == port_id
    ]


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


def test_rules_follow_ports_and_groups(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.61.0.0/24")
    sg = alice.create("security_group", name="web")
    port = alice.create("port", network_id=net["id"], security_groups=[sg["id"]])
    assert port["binding:vnic_type"] == "normal"
    first = _rules_for(port["id"])[-1]
    assert sorted(r.ethertype for r in first) == ["IPv4", "IPv6"]  # the new group's egress rules
    rule = alice.create(
        "security_group_rule",
        security_group_id=sg["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
    )
    latest = _rules_for(port["id"])[-1]
    assert rule["id"] in [r.id for r in latest] and len(latest) == 3
    alice.delete(f"/v2.0/security-group-rules/{rule['id']}")
    assert len(_rules_for(port["id"])[-1]) == 2
    alice.put(
        f"/v2.0/ports/{port['id']}",
        {"port": {"security_groups": [], "port_security_enabled": False}},
    )
    assert _rules_for(port["id"])[-1] == []


def test_server_ports_get_their_rules_and_vif_type(cloud: Cloud, alice: Net) -> None:
    server = str(uuid.uuid4())
    with cloud.db.write() as s:
        s.add(
            Instance(
                uuid=server,
                display_name="vm",
                hostname="vm",
                project_id=alice.project_id,
                user_id="u",
                reservation_id="r",
                flavor={},
                vcpus=1,
                memory_mb=64,
                root_gb=1,
                vm_state="building",
            )
        )
    with cloud.db.write() as s:
        vifs = network_ports.allocate_for_instance(
            s,
            cloud.cfg,
            instance_uuid=server,
            project_id=alice.project_id,
            requested_networks="auto",
            security_groups=["default"],
            host="h1",
        )
    assert vifs[0].vif_type == "tap"
    pushed = _rules_for(vifs[0].port_id)[-1]
    assert {(r.direction, r.remote_group_id is not None) for r in pushed} == {
        ("egress", False),
        ("ingress", True),
    }
    extra = alice.create("security_group", name="extra")
    alice.create(
        "security_group_rule", security_group_id=extra["id"], direction="ingress", protocol="icmp"
    )
    with cloud.db.write() as s:
        network_ports.add_security_group(s, server, alice.project_id, "extra", cfg=cloud.cfg)
    assert any(r.protocol == "icmp" for r in _rules_for(vifs[0].port_id)[-1])
