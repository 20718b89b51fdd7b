"""Security groups and rules: the lazy ``default`` group, new groups' egress rules, rule
validation and duplicates, what may not be deleted, and cascades."""

from __future__ import annotations

from tests.functional.network.conftest import Net, error


def _shape(rule: dict) -> tuple:
    return (
        rule["direction"],
        rule["ethertype"],
        rule["protocol"],
        rule["remote_group_id"],
        rule["remote_ip_prefix"],
    )


def test_default_group_is_made_on_first_listing(alice: Net) -> None:
    groups = alice.get("/v2.0/security-groups").json()["security_groups"]
    assert [g["name"] for g in groups] == ["default"]
    default = groups[0]
    assert default["project_id"] == alice.project_id and default["stateful"] is True
    assert sorted(_shape(r) for r in default["security_group_rules"]) == sorted(
        [
            ("egress", "IPv4", None, None, None),
            ("egress", "IPv6", None, None, None),
            ("ingress", "IPv4", None, default["id"], None),
            ("ingress", "IPv6", None, default["id"], None),
        ]
    )
    # listing again does not make another one
    assert len(alice.get("/v2.0/security-groups?name=default").json()["security_groups"]) == 1


def test_create_update_show_delete(alice: Net) -> None:
    sg = alice.create("security_group", name="web", description="d")
    assert sorted(_shape(r) for r in sg["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None),
        ("egress", "IPv6", None, None, None),
    ]
    r = alice.put(
        f"/v2.0/security-groups/{sg['id']}",
        {"security_group": {"name": "web2", "description": "d2"}},
    )
    assert (r.json()["security_group"]["name"], r.json()["security_group"]["description"]) == (
        "web2",
        "d2",
    )
    assert alice.get(f"/v2.0/security-groups/{sg['id']}").json()["security_group"]["name"] == "web2"
    assert alice.delete(f"/v2.0/security-groups/{sg['id']}").status_code == 204
    r = alice.get(f"/v2.0/security-groups/{sg['id']}")
    assert r.status_code == 404 and error(r)["type"] == "SecurityGroupNotFound"


def test_rule_create_show_list_delete(alice: Net) -> None:
    sg = alice.create("security_group", name="r")
    rule = alice.create(
        "security_group_rule",
        security_group_id=sg["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="10.100.0.0/16",
    )
    assert (rule["ethertype"], rule["protocol"], rule["port_range_min"]) == ("IPv4", "tcp", 22)
    assert rule["project_id"] == alice.project_id
    assert (
        alice.get(f"/v2.0/security-group-rules/{rule['id']}").json()["security_group_rule"] == rule
    )
    listed = alice.get(f"/v2.0/security-group-rules?security_group_id={sg['id']}&direction=ingress")
    assert [r["id"] for r in listed.json()["security_group_rules"]] == [rule["id"]]
    shown = alice.get(f"/v2.0/security-groups/{sg['id']}").json()["security_group"]
    assert rule["id"] in [r["id"] for r in shown["security_group_rules"]]
    assert alice.delete(f"/v2.0/security-group-rules/{rule['id']}").status_code == 204
    assert alice.get(f"/v2.0/security-group-rules/{rule['id']}").status_code == 404


def test_icmp_and_numeric_protocols(alice: Net) -> None:
    sg = alice.create("security_group", name="i")
    for icmp_type, code in ((3, 2), (8, 0), (11, None)):
        rule = alice.create(
            "security_group_rule",
            security_group_id=sg["id"],
            direction="ingress",
            protocol="icmp",
            port_range_min=icmp_type,
            port_range_max=code,
        )
        assert (rule["port_range_min"], rule["port_range_max"]) == (icmp_type, code)
    rule = alice.create(
        "security_group_rule", security_group_id=sg["id"], direction="ingress", protocol=17
    )
    assert rule["protocol"] == "17"


def test_duplicate_rule_is_409(alice: Net) -> None:
    sg = alice.create("security_group", name="dup")
    body = {
        "security_group_id": sg["id"],
        "direction": "ingress",
        "protocol": "tcp",
        "port_range_min": 66,
        "port_range_max": 67,
    }
    first = alice.create("security_group_rule", **body)
    r = alice.post("/v2.0/security-group-rules", {"security_group_rule": {**body, "protocol": "6"}})
    assert r.status_code == 409 and error(r)["type"] == "SecurityGroupRuleExists"
    assert first["id"] in error(r)["message"]


def test_rule_errors(alice: Net) -> None:
    sg = alice.create("security_group", name="bad")
    base = {"security_group_id": sg["id"], "direction": "ingress", "protocol": "tcp"}
    cases = [
        ({"port_range_min": -16, "port_range_max": 80}, 400, "Invalid value for port -16"),
        (
            {"port_range_min": 80, "port_range_max": 79},
            400,
            "port_range_min must be <= port_range_max",
        ),
        ({"protocol": "bad_protocol_name"}, 400, "not supported"),
        ({"ethertype": "bad_ethertype"}, 400, "not supported"),
        ({"remote_ip_prefix": "192.168.1.1/33"}, 400, "is not a valid IP prefix"),
        ({"remote_group_id": "bad_group_id"}, 404, "does not exist"),
        (
            {"ethertype": "IPv6", "remote_ip_prefix": "10.100.0.0/16"},
            400,
            "Conflicting value ethertype",
        ),
        ({"security_group_id": "0d7e5d52-1111-4a3e-9b3c-7c7c7c7c7c7c"}, 404, "does not exist"),
    ]
    for extra, status, message in cases:
        r = alice.post("/v2.0/security-group-rules", {"security_group_rule": {**base, **extra}})
        assert r.status_code == status, (extra, r.text)
        assert message in error(r)["message"], extra


def test_default_group_rules(alice: Net, admin: Net) -> None:
    r = alice.post("/v2.0/security-groups", {"security_group": {"name": "default"}})
    assert r.status_code == 409
    sg = alice.create("security_group", name="x")
    r = alice.put(f"/v2.0/security-groups/{sg['id']}", {"security_group": {"name": "default"}})
    assert r.status_code == 409
    default = alice.get("/v2.0/security-groups?name=default").json()["security_groups"][0]
    r = alice.delete(f"/v2.0/security-groups/{default['id']}")
    assert r.status_code == 409 and "Insufficient rights" in error(r)["message"]
    r = alice.put(f"/v2.0/security-groups/{default['id']}", {"security_group": {"name": "other"}})
    assert r.status_code == 409
    assert admin.delete(f"/v2.0/security-groups/{default['id']}").status_code == 204


def test_group_in_use_cannot_be_deleted(alice: Net) -> None:
    net, _ = alice.network_with_subnet("10.30.0.0/24")
    sg = alice.create("security_group", name="used")
    port = alice.create("port", network_id=net["id"], security_groups=[sg["id"]])
    r = alice.delete(f"/v2.0/security-groups/{sg['id']}")
    assert r.status_code == 409 and error(r)["type"] == "SecurityGroupInUse"
    alice.delete(f"/v2.0/ports/{port['id']}")
    assert alice.delete(f"/v2.0/security-groups/{sg['id']}").status_code == 204


def test_deleting_a_group_removes_its_rules_and_rules_naming_it(alice: Net) -> None:
    sg1 = alice.create("security_group", name="a")
    sg2 = alice.create("security_group", name="b")
    own = alice.create(
        "security_group_rule", security_group_id=sg2["id"], direction="ingress", protocol="tcp"
    )
    ref = alice.create(
        "security_group_rule",
        security_group_id=sg1["id"],
        direction="ingress",
        protocol="udp",
        port_range_min=50,
        port_range_max=55,
        remote_group_id=sg2["id"],
    )
    assert alice.delete(f"/v2.0/security-groups/{sg2['id']}").status_code == 204
    ids = [r["id"] for r in alice.get("/v2.0/security-group-rules").json()["security_group_rules"]]
    assert own["id"] not in ids and ref["id"] not in ids


def test_groups_are_private_to_their_project(alice: Net, bob: Net, admin: Net) -> None:
    sg = alice.create("security_group", name="mine")
    assert bob.get(f"/v2.0/security-groups/{sg['id']}").status_code == 404
    r = bob.post(
        "/v2.0/security-group-rules",
        {"security_group_rule": {"security_group_id": sg["id"], "direction": "ingress"}},
    )
    assert r.status_code == 404
    assert sg["id"] not in [
        g["id"] for g in bob.get("/v2.0/security-groups").json()["security_groups"]
    ]
    assert admin.get(f"/v2.0/security-groups/{sg['id']}").status_code == 200
    made = admin.create("security_group", name="for-bob", project_id=bob.project_id)
    assert bob.get(f"/v2.0/security-groups/{made['id']}").status_code == 200


def test_quota_on_groups_is_409(cloud, alice: Net, admin: Net) -> None:
    r = admin.put(f"/v2.0/quotas/{alice.project_id}", {"quota": {"security_group": 2}})
    assert r.status_code == 200
    alice.create("security_group", name="one")  # default + one = 2
    r = alice.post("/v2.0/security-groups", {"security_group": {"name": "two"}})
    assert r.status_code == 409 and error(r)["type"] == "OverQuota"
