"""Subnets: addressing defaults, pools, gateway rules, overlap, updates, deletion."""

from __future__ import annotations

import ipaddress

from tests.functional.network.conftest import Net, error


def test_defaults(alice: Net) -> None:
    net = alice.create("network", name="n")
    sub = alice.create("subnet", network_id=net["id"], cidr="10.1.2.0/28", ip_version=4, name="s")
    assert sub["gateway_ip"] == "10.1.2.1"
    assert sub["allocation_pools"] == [{"start": "10.1.2.2", "end": "10.1.2.14"}]
    assert sub["enable_dhcp"] is True and sub["dns_nameservers"] == [] and sub["host_routes"] == []
    assert sub["project_id"] == alice.project_id and sub["revision_number"] == 1
    shown = alice.get(f"/v2.0/networks/{net['id']}").json()["network"]
    assert shown["subnets"] == [sub["id"]]
    assert alice.get(f"/v2.0/subnets/{sub['id']}").json()["subnet"] == sub


def test_no_gateway_and_explicit_pools(alice: Net) -> None:
    net = alice.create("network")
    sub = alice.create(
        "subnet",
        network_id=net["id"],
        cidr="10.1.3.0/24",
        ip_version=4,
        gateway_ip=None,
        allocation_pools=[{"start": "10.1.3.100", "end": "10.1.3.110"}],
        dns_nameservers=["8.8.8.8"],
        host_routes=[{"destination": "10.9.0.0/16", "nexthop": "10.1.3.1"}],
    )
    assert sub["gateway_ip"] is None
    assert sub["allocation_pools"] == [{"start": "10.1.3.100", "end": "10.1.3.110"}]
    assert sub["dns_nameservers"] == ["8.8.8.8"]
    port = alice.create("port", network_id=net["id"])
    assert port["fixed_ips"][0]["ip_address"] == "10.1.3.100"


def test_cidr_without_ip_version_is_inferred_and_normalised(alice: Net) -> None:
    net = alice.create("network")
    sub = alice.create("subnet", network_id=net["id"], cidr="10.7.0.9/24")
    assert (sub["cidr"], sub["ip_version"]) == ("10.7.0.0/24", 4)


def test_ipv6_subnet(alice: Net) -> None:
    net = alice.create("network")
    sub = alice.create("subnet", network_id=net["id"], cidr="2001:db8:1::/64", ip_version=6)
    assert sub["gateway_ip"] == "2001:db8:1::1"
    port = alice.create("port", network_id=net["id"])
    assert port["fixed_ips"][0]["ip_address"] == "2001:db8:1::2"
    slaac = alice.create(
        "subnet",
        network_id=alice.create("network")["id"],
        cidr="2001:db8:2::/64",
        ip_version=6,
        ipv6_ra_mode="slaac",
        ipv6_address_mode="slaac",
    )
    port = alice.create("port", network_id=slaac["network_id"])
    octets = [int(x, 16) for x in port["mac_address"].split(":")]
    octets[0] ^= 2
    iid = int.from_bytes(bytes([*octets[:3], 0xFF, 0xFE, *octets[3:]]), "big")
    expected = ipaddress.IPv6Address(int(ipaddress.IPv6Address("2001:db8:2::")) | iid)
    assert port["fixed_ips"][0]["ip_address"] == str(expected)


def test_overlapping_subnets_on_one_network_are_400(alice: Net) -> None:
    net, _sub = alice.network_with_subnet("10.2.0.0/24")
    r = alice.post(
        "/v2.0/subnets",
        {"subnet": {"network_id": net["id"], "cidr": "10.2.0.128/25", "ip_version": 4}},
    )
    assert r.status_code == 400 and "overlaps with another subnet" in error(r)["message"]
    # the same CIDR on another network is fine (overlapping IPs across networks)
    alice.network_with_subnet("10.2.0.0/24")


def test_gateway_inside_a_pool_is_409(alice: Net) -> None:
    net = alice.create("network")
    r = alice.post(
        "/v2.0/subnets",
        {
            "subnet": {
                "network_id": net["id"],
                "cidr": "10.3.0.0/24",
                "ip_version": 4,
                "gateway_ip": "10.3.0.5",
                "allocation_pools": [{"start": "10.3.0.2", "end": "10.3.0.9"}],
            }
        },
    )
    assert r.status_code == 409 and "conflicts with allocation pool" in error(r)["message"]


def test_update_gateway_dns_routes_and_dhcp(alice: Net) -> None:
    net = alice.create("network")
    sub = alice.create(
        "subnet",
        network_id=net["id"],
        cidr="10.4.0.0/28",
        ip_version=4,
        gateway_ip="10.4.0.1",
        allocation_pools=[{"start": "10.4.0.3", "end": "10.4.0.7"}],
    )
    r = alice.put(
        f"/v2.0/subnets/{sub['id']}",
        {
            "subnet": {
                "name": "renamed",
                "gateway_ip": "10.4.0.2",
                "dns_nameservers": ["7.8.8.8", "7.8.4.4"],
                "host_routes": [{"destination": "10.20.0.0/32", "nexthop": "10.100.1.2"}],
                "enable_dhcp": False,
            }
        },
    )
    assert r.status_code == 200, r.text
    updated = r.json()["subnet"]
    assert updated["gateway_ip"] == "10.4.0.2" and updated["enable_dhcp"] is False
    assert updated["dns_nameservers"] == ["7.8.8.8", "7.8.4.4"] and updated["name"] == "renamed"
    assert updated["revision_number"] == 2
    r = alice.put(f"/v2.0/subnets/{sub['id']}", {"subnet": {"gateway_ip": "10.4.0.5"}})
    assert r.status_code == 409
    r = alice.put(f"/v2.0/subnets/{sub['id']}", {"subnet": {"cidr": "10.5.0.0/24"}})
    assert r.status_code == 400


def test_delete_subnet_in_use_is_409(alice: Net) -> None:
    net, sub = alice.network_with_subnet("10.6.0.0/24")
    port = alice.create("port", network_id=net["id"])
    r = alice.delete(f"/v2.0/subnets/{sub['id']}")
    assert r.status_code == 409 and error(r)["type"] == "SubnetInUse"
    alice.delete(f"/v2.0/ports/{port['id']}")
    assert alice.delete(f"/v2.0/subnets/{sub['id']}").status_code == 204
    assert alice.get(f"/v2.0/networks/{net['id']}").json()["network"]["subnets"] == []


def test_subnets_of_shared_networks_are_visible_but_only_the_owner_adds_them(
    admin: Net, alice: Net
) -> None:
    private = alice.get("/v2.0/networks?name=private").json()["networks"][0]
    assert private["subnets"]
    assert alice.get(f"/v2.0/subnets/{private['subnets'][0]}").status_code == 200
    r = alice.post(
        "/v2.0/subnets",
        {"subnet": {"network_id": private["id"], "cidr": "10.99.0.0/24", "ip_version": 4}},
    )
    assert r.status_code == 403
    _mine, sub = alice.network_with_subnet("10.8.0.0/24")
    assert admin.get(f"/v2.0/subnets/{sub['id']}").status_code == 200


def test_subnet_on_unknown_network_is_404(alice: Net, bob: Net) -> None:
    r = alice.post(
        "/v2.0/subnets", {"subnet": {"network_id": "nope", "cidr": "10.0.0.0/24", "ip_version": 4}}
    )
    assert r.status_code == 404 and error(r)["type"] == "NetworkNotFound"
    net = bob.create("network")
    r = alice.post(
        "/v2.0/subnets",
        {"subnet": {"network_id": net["id"], "cidr": "10.0.0.0/24", "ip_version": 4}},
    )
    assert r.status_code == 404
