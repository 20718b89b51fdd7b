"""A port never joins another project's server, and the owner checks Neutron puts on ports.

Regressions of issue 7 §1. A member of project B could give its port ``device_id`` = a server
of project A (on create, or by re-pointing its own guest's port with ``PUT``): A's server then
listed B's addresses, the compute host plugged B's port into A's guest, the metadata service
answered B's guest with A's user data and keys, deleting A's server deleted B's port, and a
foreign port claiming a server before its build replaced the server's own NIC. Members could also
put ``network:*`` device owners and ``allowed_address_pairs`` on ports of a shared network they do
not own. Servers boot through API → conductor → scheduler → compute agent (fake driver); the
compute side is asked exactly as a compute host asks (``ConductorAPI`` over the bus).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from stratus.rpcapi.conductor import ConductorAPI
from stratus.services.network import server_ports
from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import boot, upload_image, wait_for_status
from tests.functional.network.conftest import Net, as_net, error
from tests.functional.network.server_rows import allocate, instance_row

HIJACK_MESSAGE = (
    "The following device_id {} is not owned by your tenant or matches another tenants router."
)


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1",))
    yield cloud


@pytest.fixture
def image_id(cloud: Cloud) -> str:
    return upload_image(cloud, cloud.admin_headers())


@pytest.fixture
def victim(cloud: Cloud) -> Account:
    """Project A: owns the server someone tries to graft a port onto."""
    return cloud.new_user(role="member")


@pytest.fixture
def intruder(cloud: Cloud) -> Account:
    """Project B: tries to graft its port onto A's server."""
    return cloud.new_user(role="member")


def _server(cloud: Cloud, account: Account, image_id: str, **extra: Any) -> dict[str, Any]:
    created = boot(cloud, account.headers, image_id, **extra)
    return wait_for_status(cloud, account.headers, created["id"], "ACTIVE")


def _private(net: Net) -> str:
    return str(net.get("/v2.0/networks?name=private").json()["networks"][0]["id"])


def _ports_of(cloud: Cloud, device_id: str) -> list[dict[str, Any]]:
    r = cloud.network.get(f"/v2.0/ports?device_id={device_id}", headers=cloud.admin_headers())
    assert r.status_code == 200, r.text
    return list(r.json()["ports"])


def _ip(port: dict[str, Any]) -> str:
    return str(port["fixed_ips"][0]["ip_address"])


def _shown_addresses(cloud: Cloud, account: Account, server_id: str) -> set[str]:
    """The fixed IPs the compute API shows for the server (server body and ``/ips``)."""
    r = cloud.compute.get(f"/v2.1/servers/{server_id}", headers=account.headers)
    assert r.status_code == 200, r.text
    shown = {a["addr"] for addrs in r.json()["server"]["addresses"].values() for a in addrs}
    ips = cloud.compute.get(f"/v2.1/servers/{server_id}/ips", headers=account.headers)
    assert ips.status_code == 200, ips.text
    assert shown == {a["addr"] for addrs in ips.json()["addresses"].values() for a in addrs}
    return shown


def _assert_hijack_refused(r: Any, server_id: str) -> None:
    assert r.status_code == 409, r.text
    fault = error(r)
    assert fault["type"] == "DeviceIDNotOwnedByTenant"
    assert fault["message"] == HIJACK_MESSAGE.format(server_id)


def test_member_cannot_create_a_port_for_another_projects_server(
    plane: Cloud, victim: Account, intruder: Account, image_id: str
) -> None:
    server = _server(plane, victim, image_id)
    own_addresses = _shown_addresses(plane, victim, server["id"])
    b = as_net(plane, intruder)
    own_net, _ = b.network_with_subnet("10.70.0.0/24")
    for network_id in (_private(b), own_net["id"]):
        for owner in ("compute:nova", ""):
            body = {"network_id": network_id, "device_id": server["id"], "device_owner": owner}
            _assert_hijack_refused(b.post("/v2.0/ports", {"port": body}), server["id"])
    assert [p["project_id"] for p in _ports_of(plane, server["id"])] == [victim.project_id]
    assert _shown_addresses(plane, victim, server["id"]) == own_addresses
    # a device id that is no server, or a server of the member's own project, stays allowed
    b.create("port", network_id=own_net["id"], device_id=str(uuid.uuid4()))
    mine = _server(plane, intruder, image_id)
    b.create("port", network_id=own_net["id"], device_id=mine["id"], device_owner="compute:nova")


def test_member_cannot_repoint_its_guests_port_at_another_projects_server(
    plane: Cloud, victim: Account, intruder: Account, image_id: str
) -> None:
    server = _server(plane, victim, image_id)
    guest = _server(plane, intruder, image_id)
    (port,) = _ports_of(plane, guest["id"])
    b = as_net(plane, intruder)
    for body in (
        {"device_id": server["id"], "device_owner": "compute:nova"},
        {"device_id": server["id"]},
    ):
        _assert_hijack_refused(b.put(f"/v2.0/ports/{port['id']}", {"port": body}), server["id"])
    after = b.get(f"/v2.0/ports/{port['id']}").json()["port"]
    assert after["device_id"] == guest["id"]
    assert _ip(port) not in _shown_addresses(plane, victim, server["id"])
    md = ConductorAPI(plane.bus, timeout=10).metadata_for_address(port["network_id"], _ip(port))
    assert md is not None and md.instance.uuid == guest["id"]


def test_a_foreign_port_claiming_a_server_is_not_part_of_it(
    plane: Cloud, victim: Account, intruder: Account, image_id: str
) -> None:
    """Ports of another project that name a server (an admin may make them) stay out of its
    addresses and of what its compute host plugs into the guest."""
    server = _server(plane, victim, image_id)
    (own,) = _ports_of(plane, server["id"])
    admin = Net(plane.network, plane.admin_headers(), "")
    foreign = admin.create(
        "port",
        network_id=_private(admin),
        project_id=intruder.project_id,
        device_id=server["id"],
        device_owner="compute:nova",
    )
    assert _shown_addresses(plane, victim, server["id"]) == {_ip(own)}
    vifs = ConductorAPI(plane.bus, timeout=10).network_info(server["id"])
    assert [v.port_id for v in vifs] == [own["id"]]
    r = plane.compute.get(
        f"/v2.1/servers/{server['id']}/os-security-groups", headers=victim.headers
    )
    assert [g["name"] for g in r.json()["security_groups"]] == ["default"]
    assert foreign["id"] not in [v.port_id for v in vifs]


def test_metadata_never_answers_a_guest_with_another_projects_server(
    plane: Cloud, victim: Account, intruder: Account, image_id: str
) -> None:
    server = _server(plane, victim, image_id, name="victim-vm", user_data="c2VjcmV0")
    guest = _server(plane, intruder, image_id)
    (port,) = _ports_of(plane, guest["id"])
    # the member's own attempt is refused (see above); here the port is re-pointed by an admin
    r = plane.network.put(
        f"/v2.0/ports/{port['id']}",
        json={"port": {"device_id": server["id"], "device_owner": "compute:nova"}},
        headers=plane.admin_headers(),
    )
    assert r.status_code == 200, r.text
    conductor = ConductorAPI(plane.bus, timeout=10)
    assert conductor.metadata_for_address(port["network_id"], _ip(port)) is None
    (own,) = [p for p in _ports_of(plane, server["id"]) if p["id"] != port["id"]]
    md = conductor.metadata_for_address(own["network_id"], _ip(own))
    assert md is not None and md.instance.uuid == server["id"]
    assert [v.port_id for v in md.vifs] == [own["id"]]
    # nor does DHCP hand the guest the other server's host name
    (dataplane,) = conductor.network_dataplane("h1", [])
    assert dataplane.hostnames[port["id"]] != "victim-vm"
    assert dataplane.hostnames[own["id"]] == "victim-vm"


def test_deleting_a_server_leaves_other_projects_ports_alone(
    plane: Cloud, victim: Account, intruder: Account, image_id: str
) -> None:
    server = _server(plane, victim, image_id)
    (own,) = _ports_of(plane, server["id"])
    admin = Net(plane.network, plane.admin_headers(), "")
    foreign = admin.create(
        "port",
        network_id=_private(admin),
        project_id=intruder.project_id,
        device_id=server["id"],
        device_owner="compute:nova",
    )
    r = plane.compute.delete(f"/v2.1/servers/{server['id']}", headers=victim.headers)
    assert r.status_code == 204, r.text
    wait_for_status(plane, victim.headers, server["id"], "DELETED")
    assert admin.get(f"/v2.0/ports/{own['id']}").status_code == 404
    kept = as_net(plane, intruder).get(f"/v2.0/ports/{foreign['id']}")
    assert kept.status_code == 200, kept.text
    assert kept.json()["port"]["device_id"] == server["id"]


def test_building_a_server_ignores_foreign_ports_claiming_it(
    cloud: Cloud, alice: Net, bob: Net, admin: Net
) -> None:
    """A port of another project naming a server before it is built does not become its NIC,
    and group changes on the server do not touch it."""
    server = instance_row(cloud, alice.project_id)
    private = _private(alice)
    foreign = admin.create(
        "port",
        network_id=private,
        project_id=bob.project_id,
        device_id=server,
        device_owner="compute:nova",
    )
    alice.create("security_group", name="extra")
    vifs = allocate(cloud, server, alice.project_id)
    with cloud.db.write() as s:
        server_ports.add_security_group(s, server, alice.project_id, "extra")
    assert len(vifs) == 1 and vifs[0].port_id != foreign["id"]
    assert alice.get(f"/v2.0/ports/{vifs[0].port_id}").json()["port"]["project_id"] == (
        alice.project_id
    )
    after = admin.get(f"/v2.0/ports/{foreign['id']}").json()["port"]
    assert (after["binding:host_id"], after["status"]) == ("", "DOWN")
    assert after["security_groups"] == foreign["security_groups"]
    assert after["revision_number"] == foreign["revision_number"]


@pytest.mark.parametrize(
    "owner", ["network:router_interface", "network:dhcp", "network:floatingip", "network:x"]
)
def test_network_device_owners_need_the_networks_owner(admin: Net, alice: Net, owner: str) -> None:
    private = _private(alice)
    r = alice.post("/v2.0/ports", {"port": {"network_id": private, "device_owner": owner}})
    assert r.status_code == 403, r.text
    assert error(r) == {
        "type": "PolicyNotAuthorized",
        "message": "(create_port:device_owner) is disallowed by policy",
        "detail": "",
    }
    port = alice.create("port", network_id=private, device_owner="compute:nova")
    r = alice.put(f"/v2.0/ports/{port['id']}", {"port": {"device_owner": owner}})
    assert r.status_code == 403, r.text
    assert error(r)["message"] == "(update_port:device_owner) is disallowed by policy"
    assert alice.get(f"/v2.0/ports/{port['id']}").json()["port"]["device_owner"] == "compute:nova"
    # the network's owner (and an admin) may
    own, _ = alice.network_with_subnet("10.71.0.0/24")
    assert alice.create("port", network_id=own["id"], device_owner=owner)["device_owner"] == owner
    mine = alice.create("port", network_id=own["id"])
    r = alice.put(f"/v2.0/ports/{mine['id']}", {"port": {"device_owner": owner}})
    assert r.status_code == 200, r.text
    assert admin.create("port", network_id=private, device_owner=owner)["device_owner"] == owner


def test_allowed_address_pairs_need_the_networks_owner(admin: Net, alice: Net) -> None:
    private = _private(alice)
    pairs = [{"ip_address": "0.0.0.0/0"}]
    r = alice.post("/v2.0/ports", {"port": {"network_id": private, "allowed_address_pairs": pairs}})
    assert r.status_code == 403, r.text
    assert error(r)["message"] == "(create_port:allowed_address_pairs) is disallowed by policy"
    port = alice.create("port", network_id=private)
    r = alice.put(f"/v2.0/ports/{port['id']}", {"port": {"allowed_address_pairs": pairs}})
    assert r.status_code == 403, r.text
    assert error(r)["message"] == "(update_port:allowed_address_pairs) is disallowed by policy"
    assert alice.get(f"/v2.0/ports/{port['id']}").json()["port"]["allowed_address_pairs"] == []
    # the network's owner (and an admin) may
    own, _ = alice.network_with_subnet("10.72.0.0/24")
    made = alice.create("port", network_id=own["id"], allowed_address_pairs=pairs)
    assert [p["ip_address"] for p in made["allowed_address_pairs"]] == ["0.0.0.0/0"]
    r = alice.put(f"/v2.0/ports/{made['id']}", {"port": {"allowed_address_pairs": []}})
    assert r.status_code == 200, r.text
    on_private = admin.create("port", network_id=private, allowed_address_pairs=pairs)
    assert [p["ip_address"] for p in on_private["allowed_address_pairs"]] == ["0.0.0.0/0"]
