"""Ports for servers (``services.network.server_ports``), as the compute API and conductor use them:
validation with Nova's answers, allocation, network info, deallocation, group changes."""

from __future__ import annotations

import pytest

from stratus.common import exceptions
from stratus.db.models.compute import Instance
from stratus.services.network import server_ports
from tests.fixtures.cloud import Cloud
from tests.functional.network.conftest import Net
from tests.functional.network.server_rows import allocate, instance_row


def _validate(cloud: Cloud, project: str, requested):
    with cloud.db.read() as s:
        return server_ports.validate_requested_networks(s, project, requested)


def test_auto_uses_the_shared_private_network(cloud: Cloud, alice: Net) -> None:
    private = alice.get("/v2.0/networks?name=private").json()["networks"][0]
    assert _validate(cloud, alice.project_id, "auto") == [{"uuid": private["id"]}]
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    vifs = allocate(cloud, server, alice.project_id, "auto")
    assert len(vifs) == 1
    vif = vifs[0]
    assert vif.network_id == private["id"] and vif.network_name == "private"
    assert vif.fixed_ips[0].address.startswith("10.0.0.") and vif.fixed_ips[0].gateway == "10.0.0.1"
    assert vif.fixed_ips[0].cidr == "10.0.0.0/24" and vif.mac_address.startswith("fa:16:3e:")
    assert vif.devname == f"tap{vif.port_id[:11]}"
    port = alice.get(f"/v2.0/ports/{vif.port_id}").json()["port"]
    assert port["device_id"] == server and port["device_owner"] == "compute:zone-a"
    assert port["status"] == "ACTIVE"
    default = alice.get("/v2.0/security-groups?name=default").json()["security_groups"][0]
    assert port["security_groups"] == [default["id"]] == vif.security_group_ids


def test_auto_prefers_the_projects_own_network_and_refuses_ambiguity(
    cloud: Cloud, alice: Net
) -> None:
    own, _ = alice.network_with_subnet("10.40.0.0/24")
    assert _validate(cloud, alice.project_id, "auto") == [{"uuid": own["id"]}]
    alice.network_with_subnet("10.41.0.0/24")
    with pytest.raises(
        exceptions.Conflict, match="Multiple possible networks found, use a Network ID"
    ):
        _validate(cloud, alice.project_id, "auto")


def test_none_means_no_ports(cloud: Cloud, alice: Net) -> None:
    assert _validate(cloud, alice.project_id, "none") == []
    assert _validate(cloud, alice.project_id, None) == []
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    assert allocate(cloud, server, alice.project_id, "none") == []


def test_explicit_networks_ports_and_fixed_ips(cloud: Cloud, alice: Net) -> None:
    net, _sub = alice.network_with_subnet("10.42.0.0/24")
    mine = alice.create("port", network_id=net["id"], name="brought")
    requested = [{"uuid": net["id"], "fixed_ip": "10.42.0.77"}, {"port": mine["id"]}]
    normalized = _validate(cloud, alice.project_id, requested)
    assert normalized == [
        {"uuid": net["id"], "fixed_ip": "10.42.0.77"},
        {"port": mine["id"], "uuid": net["id"]},
    ]
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    vifs = allocate(cloud, server, alice.project_id, normalized)
    assert {v.fixed_ips[0].address for v in vifs} == {
        "10.42.0.77",
        mine["fixed_ips"][0]["ip_address"],
    }
    with cloud.db.read() as s:
        assert [v.port_id for v in server_ports.network_info(s, server)] == [
            v.port_id for v in vifs
        ]
    # the port the user brought is now in use
    with pytest.raises(exceptions.Conflict, match=f"Port {mine['id']} is still in use"):
        _validate(cloud, alice.project_id, [{"port": mine["id"]}])
    with pytest.raises(exceptions.Invalid, match="already in use"):
        _validate(cloud, alice.project_id, [{"uuid": net["id"], "fixed_ip": "10.42.0.77"}])
    # delete: ports made for the server go, the brought one is unbound and stays
    with cloud.db.write() as s:
        server_ports.deallocate_for_instance(s, server)
        server_ports.deallocate_for_instance(s, server)  # idempotent
    ports = alice.get(f"/v2.0/ports?network_id={net['id']}").json()["ports"]
    assert [(p["id"], p["device_id"], p["device_owner"]) for p in ports] == [(mine["id"], "", "")]


@pytest.mark.parametrize(
    ("requested", "error", "message"),
    [
        (
            [{"uuid": "9e8c1a3e-0000-4000-8000-000000000000"}],
            exceptions.Invalid,
            "could not be found",
        ),
        (
            [{"port": "9e8c1a3e-0000-4000-8000-000000000000"}],
            exceptions.Invalid,
            "could not be found",
        ),
        (
            [{"uuid": "{bare}"}],
            exceptions.Invalid,
            "requires a subnet in order to boot instances on",
        ),
        (
            [{"uuid": "{net}", "fixed_ip": "192.168.0.1"}],
            exceptions.Invalid,
            "is not valid on network",
        ),
        ("sometimes", exceptions.Invalid, "Bad networks format"),
    ],
)
def test_validation_errors(cloud: Cloud, alice: Net, requested, error, message) -> None:
    net, _ = alice.network_with_subnet("10.43.0.0/24")
    bare = alice.create("network")
    if isinstance(requested, list):
        requested = [
            {k: v.format(net=net["id"], bare=bare["id"]) for k, v in e.items()} for e in requested
        ]
    with pytest.raises(error, match=message):
        _validate(cloud, alice.project_id, requested)


def test_other_projects_networks_and_ports_are_not_usable(
    cloud: Cloud, alice: Net, bob: Net
) -> None:
    net, _ = bob.network_with_subnet("10.44.0.0/24")
    port = bob.create("port", network_id=net["id"])
    with pytest.raises(exceptions.Invalid, match=f"Network {net['id']} could not be found"):
        _validate(cloud, alice.project_id, [{"uuid": net["id"]}])
    with pytest.raises(exceptions.Invalid, match=f"Port id {port['id']} could not be found"):
        _validate(cloud, alice.project_id, [{"port": port["id"]}])


def test_allocating_again_rebinds_instead_of_duplicating(cloud: Cloud, alice: Net) -> None:
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    first = allocate(cloud, server, alice.project_id, "auto", host="h1")
    again = allocate(cloud, server, alice.project_id, "auto", host="h2")
    assert [v.port_id for v in first] == [v.port_id for v in again]
    admin_view = cloud.network.get(f"/v2.0/ports/{first[0].port_id}", headers=cloud.admin_headers())
    assert admin_view.json()["port"]["binding:host_id"] == "h2"


def test_security_group_validation(cloud: Cloud, alice: Net) -> None:
    sg = alice.create("security_group", name="web")
    with cloud.db.read() as s:
        server_ports.validate_security_groups(s, alice.project_id, ["default", "web", sg["id"]])
        with pytest.raises(
            exceptions.Invalid, match="Unable to find security_group with name or id 'nope'"
        ):
            server_ports.validate_security_groups(s, alice.project_id, ["nope"])
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    vifs = allocate(cloud, server, alice.project_id, "auto", groups=["web"])
    assert vifs[0].security_group_ids == [sg["id"]]


def test_add_and_remove_security_group(cloud: Cloud, alice: Net) -> None:
    sg = alice.create("security_group", name="extra")
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    vif = allocate(cloud, server, alice.project_id, "auto")[0]
    with cloud.db.write() as s:
        server_ports.add_security_group(s, server, alice.project_id, "extra")
        server_ports.add_security_group(s, server, alice.project_id, "extra")
    port = alice.get(f"/v2.0/ports/{vif.port_id}").json()["port"]
    assert sg["id"] in port["security_groups"] and len(port["security_groups"]) == 2
    with cloud.db.read() as s:
        assert sorted(s.get(Instance, server).security_groups) == ["default", "extra"]
    r = alice.delete(f"/v2.0/security-groups/{sg['id']}")
    assert r.status_code == 409
    with cloud.db.write() as s:
        server_ports.remove_security_group(s, server, alice.project_id, "extra")
    with (
        cloud.db.write() as s,
        pytest.raises(exceptions.Invalid, match="not associated with the instance"),
    ):
        server_ports.remove_security_group(s, server, alice.project_id, "extra")
    with cloud.db.write() as s, pytest.raises(exceptions.NotFound):
        server_ports.add_security_group(s, server, alice.project_id, "missing")
    with cloud.db.read() as s:
        assert s.get(Instance, server).security_groups == ["default"]


def test_server_without_ports_cannot_get_groups(cloud: Cloud, alice: Net) -> None:
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    with (
        cloud.db.write() as s,
        pytest.raises(exceptions.NotFound, match="could not be found as device id"),
    ):
        server_ports.add_security_group(s, server, alice.project_id, "default")


def test_port_quota_applies_to_servers(cloud: Cloud, admin: Net, alice: Net) -> None:
    admin.put(f"/v2.0/quotas/{alice.project_id}", {"quota": {"port": 0}})
    server = instance_row(cloud, alice.project_id, zone="zone-a")
    with pytest.raises(exceptions.Conflict, match="Quota exceeded for resources: \\['port'\\]"):
        allocate(cloud, server, alice.project_id, "auto")
