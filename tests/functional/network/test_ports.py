"""Ports: MACs, fixed IPs without collisions (also under concurrency), updates, filters,
binding attributes and who may set what."""

from __future__ import annotations

import re
import threading

from tests.functional.network.conftest import Net, error

MAC_RE = re.compile(r"^fa:16:3e(:[0-9a-f]{2}){3}$")


def test_port_gets_mac_address_and_default_group(alice: Net) -> None:
    net, sub = alice.network_with_subnet("10.10.0.0/24")
    port = alice.create("port", network_id=net["id"], name="p1")
    assert MAC_RE.match(port["mac_address"])
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.10.0.2"}]
    assert port["status"] == "DOWN" and port["device_id"] == "" and port["admin_state_up"] is True
    default = alice.get("/v2.0/security-groups?name=default").json()["security_groups"]
    assert port["security_groups"] == [default[0]["id"]]
    assert "binding:host_id" not in port and port["binding:vnic_type"] == "normal"
    assert alice.get(f"/v2.0/ports/{port['id']}").json()["port"] == port


def test_addresses_are_handed_out_in_order_and_reused_after_delete(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.11.0.0/24")
    ports = [alice.create("port", network_id=net["id"]) for _ in range(3)]
    assert [p["fixed_ips"][0]["ip_address"] for p in ports] == [
        "10.11.0.2",
        "10.11.0.3",
        "10.11.0.4",
    ]
    alice.delete(f"/v2.0/ports/{ports[0]['id']}")
    again = alice.create("port", network_id=net["id"])
    assert again["fixed_ips"][0]["ip_address"] == "10.11.0.2"


def test_port_on_network_without_subnet_has_no_address(alice: Net) -> None:
    net = alice.create("network")
    assert alice.create("port", network_id=net["id"])["fixed_ips"] == []


def test_explicit_address_and_collision(alice: Net) -> None:
    net, sub = alice.network_with_subnet("10.12.0.0/24")
    port = alice.create("port", network_id=net["id"], fixed_ips=[{"ip_address": "10.12.0.50"}])
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.12.0.50"}]
    r = alice.post(
        "/v2.0/ports",
        {
            "port": {
                "network_id": net["id"],
                "fixed_ips": [{"subnet_id": sub["id"], "ip_address": "10.12.0.50"}],
            }
        },
    )
    assert r.status_code == 409 and error(r)["type"] == "IpAddressAlreadyAllocated"
    r = alice.post(
        "/v2.0/ports",
        {"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.13.0.5"}]}},
    )
    assert r.status_code == 400


def test_pool_exhaustion_is_409(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.14.0.0/29")  # .2 - .6: five addresses
    for _ in range(5):
        alice.create("port", network_id=net["id"])
    r = alice.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
    assert r.status_code == 409
    assert error(r)["type"] == "IpAddressGenerationFailure"
    assert f"No more IP addresses available on network {net['id']}" in error(r)["message"]


def test_concurrent_creates_never_share_an_address(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.15.0.0/28")  # .2 - .14: 13 addresses
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def create() -> None:
        r = alice.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
        with lock:
            results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=create) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [body["port"] for status, body in results if status == 201]
    failed = [body for status, body in results if status != 201]
    addresses = [p["fixed_ips"][0]["ip_address"] for p in made]
    assert len(made) == 13 and len(set(addresses)) == 13
    assert sorted(addresses, key=lambda a: int(a.rsplit(".", 1)[1])) == [
        f"10.15.0.{i}" for i in range(2, 15)
    ]
    assert len({p["mac_address"] for p in made}) == 13
    assert [f["NeutronError"]["type"] for f in failed] == ["IpAddressGenerationFailure"] * 7


def test_user_mac_and_its_collision(alice: Net) -> None:
    net = alice.create("network")
    port = alice.create("port", network_id=net["id"], mac_address="FA:16:3E:00:11:22")
    assert port["mac_address"] == "fa:16:3e:00:11:22"
    r = alice.post(
        "/v2.0/ports", {"port": {"network_id": net["id"], "mac_address": "fa:16:3e:00:11:22"}}
    )
    assert r.status_code == 409 and error(r)["type"] == "MacAddressInUse"
    other = alice.create("network")
    alice.create("port", network_id=other["id"], mac_address="fa:16:3e:00:11:22")


def test_update_moves_addresses_between_subnets(alice: Net) -> None:
    net = alice.create("network")
    s1 = alice.create("subnet", network_id=net["id"], cidr="10.16.1.0/24", ip_version=4)
    s2 = alice.create("subnet", network_id=net["id"], cidr="10.16.2.0/24", ip_version=4)
    port = alice.create(
        "port", network_id=net["id"], fixed_ips=[{"subnet_id": s1["id"]}, {"subnet_id": s2["id"]}]
    )
    assert sorted(f["subnet_id"] for f in port["fixed_ips"]) == sorted([s1["id"], s2["id"]])
    first = next(f for f in port["fixed_ips"] if f["subnet_id"] == s1["id"])
    r = alice.put(f"/v2.0/ports/{port['id']}", {"port": {"fixed_ips": [{"subnet_id": s1["id"]}]}})
    assert r.json()["port"]["fixed_ips"] == [first]
    r = alice.put(
        f"/v2.0/ports/{port['id']}",
        {
            "port": {
                "fixed_ips": [{"subnet_id": s1["id"]}, {"subnet_id": s2["id"]}],
                "name": "two",
                "admin_state_up": False,
            }
        },
    )
    updated = r.json()["port"]
    assert len(updated["fixed_ips"]) == 2 and first in updated["fixed_ips"]
    assert updated["name"] == "two" and updated["admin_state_up"] is False
    assert updated["revision_number"] == 3


def test_security_groups_and_port_security(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.17.0.0/24")
    sg1 = alice.create("security_group", name="one")
    sg2 = alice.create("security_group", name="two")
    port = alice.create("port", network_id=net["id"], security_groups=[sg1["id"]])
    assert port["security_groups"] == [sg1["id"]]
    r = alice.put(
        f"/v2.0/ports/{port['id']}", {"port": {"security_groups": [sg1["id"], sg2["id"]]}}
    )
    assert sorted(r.json()["port"]["security_groups"]) == sorted([sg1["id"], sg2["id"]])
    assert alice.create("port", network_id=net["id"], security_groups=[])["security_groups"] == []
    r = alice.put(f"/v2.0/ports/{port['id']}", {"port": {"port_security_enabled": False}})
    assert r.status_code == 409
    r = alice.put(
        f"/v2.0/ports/{port['id']}",
        {"port": {"port_security_enabled": False, "security_groups": []}},
    )
    assert r.status_code == 200 and r.json()["port"]["port_security_enabled"] is False
    r = alice.post("/v2.0/ports", {"port": {"network_id": net["id"], "security_groups": ["nope"]}})
    assert r.status_code == 404 and error(r)["type"] == "SecurityGroupNotFound"


def test_filters_by_fixed_ips_device_and_group(alice: Net) -> None:
    net, sub = alice.network_with_subnet("10.18.0.0/24")
    p1 = alice.create("port", network_id=net["id"], device_id="vm-1")
    p2 = alice.create("port", network_id=net["id"], fixed_ips=[{"ip_address": "10.18.0.120"}])
    ids = lambda q: sorted(p["id"] for p in alice.get(f"/v2.0/ports?{q}").json()["ports"])  # noqa: E731
    assert ids("fixed_ips=ip_address%3D10.18.0.120") == [p2["id"]]
    assert ids(f"fixed_ips=subnet_id%3D{sub['id']}") == sorted([p1["id"], p2["id"]])
    assert ids("fixed_ips=ip_address_substr%3D0.12") == [p2["id"]]
    assert ids("device_id=vm-1") == [p1["id"]]
    assert ids(f"network_id={net['id']}&mac_address={p1['mac_address']}") == [p1["id"]]
    assert ids(f"security_groups={p1['security_groups'][0]}") == sorted([p1["id"], p2["id"]])
    assert alice.get("/v2.0/ports?fixed_ips=bogus").status_code == 400
    fields = alice.get("/v2.0/ports?fields=id&fields=mac_address").json()["ports"]
    assert all(sorted(p) == ["id", "mac_address"] for p in fields)


def test_binding_and_addresses_on_others_networks_are_admin_only(admin: Net, alice: Net) -> None:
    private = alice.get("/v2.0/networks?name=private").json()["networks"][0]
    for attrs in (
        {"binding:host_id": "h1"},
        {"mac_address": "fa:16:3e:01:02:03"},
        {"fixed_ips": [{"ip_address": "10.0.0.77"}]},
        {"port_security_enabled": False},
    ):
        r = alice.post("/v2.0/ports", {"port": {"network_id": private["id"], **attrs}})
        assert r.status_code == 403, attrs
    port = alice.create("port", network_id=private["id"])
    assert port["fixed_ips"][0]["ip_address"].startswith("10.0.0.")
    bound = admin.create(
        "port", network_id=private["id"], device_id="vm", **{"binding:host_id": "h1"}
    )
    assert bound["binding:host_id"] == "h1" and bound["binding:vif_type"] == "bridge"
    assert bound["status"] == "ACTIVE"


def test_ports_of_other_projects_are_not_found(alice: Net, bob: Net, admin: Net) -> None:
    net, _ = alice.network_with_subnet("10.19.0.0/24")
    port = alice.create("port", network_id=net["id"])
    assert bob.get(f"/v2.0/ports/{port['id']}").status_code == 404
    assert bob.delete(f"/v2.0/ports/{port['id']}").status_code == 404
    assert port["id"] not in [p["id"] for p in bob.get("/v2.0/ports").json()["ports"]]
    assert admin.get(f"/v2.0/ports/{port['id']}").status_code == 200
    r = bob.post("/v2.0/ports", {"port": {"network_id": net["id"]}})
    assert r.status_code == 404


def test_network_owner_sees_ports_others_made_on_it(admin: Net, alice: Net) -> None:
    shared = admin.create("network", name="sh", shared=True)
    admin.create("subnet", network_id=shared["id"], cidr="10.20.0.0/24", ip_version=4)
    port = alice.create("port", network_id=shared["id"])
    assert admin.get(f"/v2.0/ports/{port['id']}").status_code == 200


def test_bulk_ports(alice: Net) -> None:
    n1 = alice.create("network")
    n2 = alice.create("network")
    r = alice.post(
        "/v2.0/ports",
        {"ports": [{"network_id": n1["id"]}, {"network_id": n2["id"], "admin_state_up": False}]},
    )
    assert r.status_code == 201
    made = r.json()["ports"]
    assert [p["network_id"] for p in made] == [n1["id"], n2["id"]]
    assert [p["admin_state_up"] for p in made] == [True, False]


def test_network_owner_may_delete_ports_others_made_on_it(admin: Net, alice: Net, bob: Net) -> None:
    shared = admin.create("network", name="alices", shared=True, project_id=alice.project_id)
    admin.create("subnet", network_id=shared["id"], cidr="10.21.0.0/24", ip_version=4)
    port = bob.create("port", network_id=shared["id"])
    assert alice.get(f"/v2.0/ports/{port['id']}").status_code == 200
    assert alice.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert bob.get(f"/v2.0/ports/{port['id']}").status_code == 404
