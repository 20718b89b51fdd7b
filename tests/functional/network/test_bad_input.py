"""Bad input gets a clear 400 in Neutron's envelope, never a 500."""

from __future__ import annotations

import copy

import pytest

from tests.functional.network.conftest import Net, error

NET = "{net}"


CASES = [
    ("POST", "/v2.0/networks", {"network": {"name": 5}}, "name"),
    ("POST", "/v2.0/networks", {"network": {"colour": "red"}}, "colour"),
    ("POST", "/v2.0/networks", {"network": {"mtu": 20}}, "mtu"),
    ("POST", "/v2.0/networks", {"network": {"name": "x" * 256}}, "too long"),
    ("POST", "/v2.0/networks", {"nets": {}}, "network"),
    ("POST", "/v2.0/networks", {"networks": []}, "Bulk"),
    ("POST", "/v2.0/networks", [], "is not of type 'object'"),
    ("PUT", "/v2.0/networks/{net}", {"network": {"id": "x"}}, "id"),
    (
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": NET, "cidr": "10.0.0.0/33", "ip_version": 4}},
        "not a valid IP subnet",
    ),
    (
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": NET, "cidr": "10.0.0.0/24", "ip_version": 5}},
        "ip_version",
    ),
    (
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": NET, "cidr": "10.0.0.0/24", "ip_version": 6}},
        "does not match the ip_version",
    ),
    (
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": NET, "ip_version": 4}},
        "subnetpool must be specified",
    ),
    (
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": NET, "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.255"}},
        "Gateway is not valid",
    ),
    (
        "POST",
        "/v2.0/subnets",
        {
            "subnet": {
                "network_id": NET,
                "cidr": "10.0.0.0/24",
                "allocation_pools": [{"start": "10.0.0.20", "end": "10.0.0.10"}],
            }
        },
        "is not valid",
    ),
    (
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": NET, "cidr": "10.0.0.0/24", "dns_nameservers": ["dns.example"]}},
        "not a valid IP address",
    ),
    (
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": NET, "mac_address": "not-a-mac"}},
        "not a valid MAC",
    ),
    (
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": NET, "fixed_ips": [{"ip_address": "300.1.1.1"}]}},
        "not a valid IP address",
    ),
    (
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": NET, "binding:vnic_type": "weird"}},
        "binding:vnic_type",
    ),
    ("POST", "/v2.0/ports", {"port": {}}, "network_id"),
    (
        "POST",
        "/v2.0/security-group-rules",
        {"security_group_rule": {"direction": "sideways", "security_group_id": "x"}},
        "direction",
    ),
    ("PUT", "/v2.0/quotas/{project}", {"quota": {"network": -5}}, "greater or equal to -1"),
    ("PUT", "/v2.0/quotas/{project}", {"quota": {"router": 5}}, "Unrecognized attribute"),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), CASES)
def test_bad_input_is_400(admin: Net, method: str, path: str, body: object, message: str) -> None:
    net = admin.create("network", name="bad-input")
    path = path.format(net=net["id"], project=admin.project_id)
    body = copy.deepcopy(body)
    if isinstance(body, dict):
        for item in body.values():
            if isinstance(item, dict) and item.get("network_id") == NET:
                item["network_id"] = net["id"]
    r = admin.client.request(method, path, json=body, headers=admin.headers)
    assert r.status_code == 400, r.text
    assert message in error(r)["message"]


def test_malformed_json_is_400(alice: Net) -> None:
    r = alice.client.post(
        "/v2.0/networks",
        content=b"{nope",
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    error(r)
