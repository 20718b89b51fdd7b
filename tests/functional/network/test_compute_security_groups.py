"""Nova's security-group proxy on the compute API (``os-security-groups``, <= 2.35)."""

from __future__ import annotations

import uuid

import httpx2 as httpx

from stratus.services.network import server_ports
from tests.fixtures.cloud import Account, Cloud
from tests.functional.network.server_rows import allocate, instance_row

OLD = {"X-OpenStack-Nova-API-Version": "2.35"}


def _h(account: Account, **extra: str) -> dict[str, str]:
    return {**account.headers, **extra}


def test_create_list_show_update_delete(cloud: Cloud) -> None:
    u = cloud.new_user("nova-sg")
    c = cloud.compute
    r = c.post(
        "/v2.1/os-security-groups",
        json={"security_group": {"name": " spaced name ", "description": "d"}},
        headers=_h(u),
    )
    assert r.status_code == 200, r.text
    sg = r.json()["security_group"]
    assert sg == {
        "id": sg["id"],
        "name": " spaced name ",
        "description": "d",
        "tenant_id": u.project_id,
        "rules": [],
    }
    assert (
        c.get(f"/v2.1/os-security-groups/{sg['id']}", headers=_h(u)).json()["security_group"] == sg
    )
    listed = c.get("/v2.1/os-security-groups", headers=_h(u)).json()["security_groups"]
    assert sg in listed and {g["name"] for g in listed} == {"default", " spaced name "}
    default = next(g for g in listed if g["name"] == "default")
    assert [r["group"] for r in default["rules"]] == [
        {"name": "default", "tenant_id": u.project_id}
    ] * 2
    r = c.put(
        f"/v2.1/os-security-groups/{sg['id']}",
        json={"security_group": {"name": "n2", "description": "d2"}},
        headers=_h(u),
    )
    assert (r.json()["security_group"]["name"], r.json()["security_group"]["description"]) == (
        "n2",
        "d2",
    )
    assert c.delete(f"/v2.1/os-security-groups/{sg['id']}", headers=_h(u)).status_code == 202
    r = c.get(f"/v2.1/os-security-groups/{sg['id']}", headers=_h(u))
    assert r.status_code == 404 and "itemNotFound" in r.json()


def test_nova_validation_and_errors(cloud: Cloud) -> None:
    u = cloud.new_user("nova-sg-bad")
    c = cloud.compute
    for body in (
        {"security_group": {"name": "", "description": "d"}},
        {"security_group": {"name": " ", "description": "d"}},
        {"security_group": {"name": "x" * 256, "description": "d"}},
        {"security_group": {"name": "x"}},
        {"nothing": {}},
    ):
        r = c.post("/v2.1/os-security-groups", json=body, headers=_h(u))
        assert r.status_code == 400, body
        assert "badRequest" in r.json()
    assert c.get("/v2.1/os-security-groups/not-a-uuid", headers=_h(u)).status_code == 400
    assert c.get(f"/v2.1/os-security-groups/{uuid.uuid4()}", headers=_h(u)).status_code == 404
    assert c.delete(f"/v2.1/os-security-groups/{uuid.uuid4()}", headers=_h(u)).status_code == 404
    default = next(
        g
        for g in c.get("/v2.1/os-security-groups", headers=_h(u)).json()["security_groups"]
        if g["name"] == "default"
    )
    assert c.delete(f"/v2.1/os-security-groups/{default['id']}", headers=_h(u)).status_code == 400


def test_rules(cloud: Cloud) -> None:
    u = cloud.new_user("nova-rules")
    c = cloud.compute
    parent = c.post(
        "/v2.1/os-security-groups",
        json={"security_group": {"name": "p", "description": "d"}},
        headers=_h(u),
    ).json()["security_group"]
    source = c.post(
        "/v2.1/os-security-groups",
        json={"security_group": {"name": "s", "description": "d"}},
        headers=_h(u),
    ).json()["security_group"]

    def post(**kw: object) -> httpx.Response:
        return c.post(
            "/v2.1/os-security-group-rules", json={"security_group_rule": kw}, headers=_h(u)
        )

    r = post(parent_group_id=parent["id"], ip_protocol="tcp", from_port=22, to_port=22)
    assert r.status_code == 200, r.text
    rule = r.json()["security_group_rule"]
    assert rule == {
        "id": rule["id"],
        "parent_group_id": parent["id"],
        "ip_protocol": "tcp",
        "from_port": 22,
        "to_port": 22,
        "ip_range": {"cidr": "0.0.0.0/0"},
        "group": {},
    }
    r = post(
        parent_group_id=parent["id"],
        ip_protocol="tcp",
        from_port=22,
        to_port=22,
        cidr="10.2.3.124/24",
    )
    assert r.json()["security_group_rule"]["ip_range"] == {"cidr": "10.2.3.124/24"}
    r = post(
        parent_group_id=parent["id"],
        ip_protocol="tcp",
        from_port=22,
        to_port=22,
        group_id=source["id"],
    )
    assert r.json()["security_group_rule"]["group"] == {"name": "s", "tenant_id": u.project_id}
    r = post(parent_group_id=parent["id"], ip_protocol="icmp", from_port=-1, to_port=-1)
    icmp = r.json()["security_group_rule"]
    assert (icmp["from_port"], icmp["to_port"]) == (-1, -1)
    shown = c.get(f"/v2.1/os-security-groups/{parent['id']}", headers=_h(u)).json()[
        "security_group"
    ]
    assert {r["id"] for r in shown["rules"]} >= {rule["id"], icmp["id"]}
    # errors as Nova answers them
    assert (
        post(parent_group_id=parent["id"], ip_protocol="tcp", from_port=22, to_port=22).status_code
        == 400
    )
    assert (
        post(parent_group_id="not-uuid", ip_protocol="tcp", from_port=22, to_port=22).status_code
        == 400
    )
    assert (
        post(
            parent_group_id=str(uuid.uuid4()), ip_protocol="tcp", from_port=22, to_port=22
        ).status_code
        == 404
    )
    assert (
        post(parent_group_id=parent["id"], ip_protocol="999x", from_port=22, to_port=22).status_code
        == 400
    )
    assert (
        post(
            parent_group_id=parent["id"], ip_protocol="tcp", from_port=65536, to_port=22
        ).status_code
        == 400
    )
    assert (
        post(parent_group_id=parent["id"], ip_protocol="tcp", from_port=22, to_port=21).status_code
        == 400
    )
    assert c.delete(f"/v2.1/os-security-group-rules/{rule['id']}", headers=_h(u)).status_code == 202
    assert (
        c.delete(f"/v2.1/os-security-group-rules/{uuid.uuid4()}", headers=_h(u)).status_code == 404
    )
    # deleting the source group takes the rule that names it
    c.delete(f"/v2.1/os-security-groups/{source['id']}", headers=_h(u))
    rules = c.get(f"/v2.1/os-security-groups/{parent['id']}", headers=_h(u)).json()[
        "security_group"
    ]["rules"]
    assert all(r["group"] == {} for r in rules)


def test_gone_after_2_35(cloud: Cloud) -> None:
    u = cloud.new_user("nova-new")
    assert cloud.compute.get("/v2.1/os-security-groups", headers=_h(u, **OLD)).status_code == 200
    r = cloud.compute.get(
        "/v2.1/os-security-groups", headers=_h(u, **{"X-OpenStack-Nova-API-Version": "2.36"})
    )
    assert r.status_code == 404


def test_server_security_groups(cloud: Cloud) -> None:
    u = cloud.new_user("nova-server-sg")
    other = cloud.new_user("nova-server-sg-other")
    server = instance_row(cloud, u.project_id, user_id=u.user_id, vm_state="active")
    allocate(cloud, server, u.project_id, host="h")
    r = cloud.compute.get(f"/v2.1/servers/{server}/os-security-groups", headers=_h(u))
    assert r.status_code == 200, r.text
    assert [g["name"] for g in r.json()["security_groups"]] == ["default"]
    assert (
        cloud.compute.get(
            f"/v2.1/servers/{server}/os-security-groups", headers=_h(other)
        ).status_code
        == 404
    )
    # a group in use by the server cannot be deleted through Nova either (400, as Nova)
    sg = cloud.compute.post(
        "/v2.1/os-security-groups",
        json={"security_group": {"name": "w", "description": "d"}},
        headers=_h(u),
    ).json()["security_group"]
    with cloud.db.write() as s:
        server_ports.add_security_group(s, server, u.project_id, "w")
    assert (
        cloud.compute.delete(f"/v2.1/os-security-groups/{sg['id']}", headers=_h(u)).status_code
        == 400
    )
