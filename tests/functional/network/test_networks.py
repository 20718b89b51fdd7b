"""Networks: CRUD, Neutron's list conventions (filters, fields, sorting, pages), visibility and
admin-only attributes, tags, bulk create, and the shared ``private`` network from bootstrap."""

from __future__ import annotations

from tests.functional.network.conftest import Net, error


def test_bootstrap_made_the_shared_private_network(alice: Net) -> None:
    nets = alice.get("/v2.0/networks?name=private").json()["networks"]
    assert len(nets) == 1 and nets[0]["shared"] is True
    assert nets[0]["project_id"] != alice.project_id
    subnets = alice.get(f"/v2.0/subnets?network_id={nets[0]['id']}").json()["subnets"]
    assert [(s["cidr"], s["gateway_ip"], s["enable_dhcp"]) for s in subnets] == [
        ("10.0.0.0/24", "10.0.0.1", True)
    ]
    assert subnets[0]["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]


def test_bootstrap_is_idempotent(cloud, alice: Net) -> None:
    from stratus.services.network import bootstrap

    bootstrap.run(cloud.db, cloud.cfg)
    assert len(alice.get("/v2.0/networks?name=private").json()["networks"]) == 1
    assert len(alice.get("/v2.0/subnets?cidr=10.0.0.0/24").json()["subnets"]) == 1


def test_create_show_update_delete(alice: Net) -> None:
    net = alice.create("network", name="n1", description="d1")
    assert net["status"] == "ACTIVE" and net["admin_state_up"] is True
    assert net["project_id"] == net["tenant_id"] == alice.project_id
    assert net["subnets"] == [] and net["mtu"] == 1500 and net["revision_number"] == 1
    assert net["created_at"].endswith("Z") and net["tags"] == []
    assert "provider:network_type" not in net  # admin-only attribute
    shown = alice.get(f"/v2.0/networks/{net['id']}").json()["network"]
    assert shown == net
    r = alice.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "n2", "mtu": 1400}})
    assert r.status_code == 200
    updated = r.json()["network"]
    assert (updated["name"], updated["mtu"], updated["revision_number"]) == ("n2", 1400, 2)
    assert alice.delete(f"/v2.0/networks/{net['id']}").status_code == 204
    r = alice.get(f"/v2.0/networks/{net['id']}")
    assert r.status_code == 404 and error(r)["type"] == "NetworkNotFound"


def test_delete_takes_subnets_along_but_not_while_ports_exist(alice: Net) -> None:
    net, sub = alice.network_with_subnet()
    port = alice.create("port", network_id=net["id"])
    r = alice.delete(f"/v2.0/networks/{net['id']}")
    assert r.status_code == 409
    assert error(r)["type"] == "NetworkInUse"
    assert "There are one or more ports still in use on the network" in error(r)["message"]
    assert alice.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert alice.delete(f"/v2.0/networks/{net['id']}").status_code == 204
    assert alice.get(f"/v2.0/subnets/{sub['id']}").status_code == 404


def test_filters_repeated_values_or_and_booleans(alice: Net) -> None:
    a = alice.create("network", name="fa")
    b = alice.create("network", name="fb", admin_state_up=False)
    alice.create("network", name="fc")
    names = lambda q: sorted(n["name"] for n in alice.get(f"/v2.0/networks?{q}").json()["networks"])  # noqa: E731
    assert names("name=fa&name=fb") == ["fa", "fb"]
    assert names("admin_state_up=false") == ["fb"]
    assert names(f"id={a['id']}&id={b['id']}&admin_state_up=True") == ["fa"]
    assert names("shared=true") == ["private"]
    assert names(f"project_id={alice.project_id}") == ["fa", "fb", "fc"]
    assert names(f"tenant_id={alice.project_id}&name=fc") == ["fc"]


def test_unknown_filter_and_bad_values_are_400(alice: Net) -> None:
    for query in (
        "colour=red",
        "admin_state_up=maybe",
        "mtu=big",
        "sort_key=colour",
        "sort_key=name&sort_dir=up",
        "limit=-1",
        "limit=x",
    ):
        r = alice.get(f"/v2.0/networks?{query}")
        assert r.status_code == 400, query
        error(r)


def test_fields_selection(alice: Net) -> None:
    net = alice.create("network", name="f")
    listed = alice.get("/v2.0/networks?fields=id&fields=name").json()["networks"]
    assert all(sorted(n) == ["id", "name"] for n in listed)
    shown = alice.get(f"/v2.0/networks/{net['id']}?fields=id&fields=mtu").json()["network"]
    assert shown == {"id": net["id"], "mtu": 1500}


def test_sorting_and_pagination_with_links(alice: Net) -> None:
    for name in ("p3", "p1", "p4", "p2", "p5"):
        alice.create("network", name=name)
    base = "/v2.0/networks?name=p1&name=p2&name=p3&name=p4&name=p5&sort_key=name"
    body = alice.get(base + "&sort_dir=desc").json()
    assert [n["name"] for n in body["networks"]] == ["p5", "p4", "p3", "p2", "p1"]
    assert "networks_links" not in body
    seen, url = [], base + "&sort_dir=asc&limit=2"
    while url:
        body = alice.client.get(url, headers=alice.headers).json()
        seen += [n["name"] for n in body["networks"]]
        nxt = [link for link in body.get("networks_links", []) if link["rel"] == "next"]
        url = nxt[0]["href"] if nxt else None
        assert len(seen) <= 5
    assert seen == ["p1", "p2", "p3", "p4", "p5"]
    first = alice.get(base + "&limit=2").json()
    rels = {link["rel"] for link in first["networks_links"]}
    assert rels == {"next"}
    second = alice.client.get(first["networks_links"][0]["href"], headers=alice.headers).json()
    assert {link["rel"] for link in second["networks_links"]} == {"next", "previous"}
    prev = next(link for link in second["networks_links"] if link["rel"] == "previous")
    back = alice.client.get(prev["href"], headers=alice.headers).json()
    assert [n["name"] for n in back["networks"]] == ["p1", "p2"]


def test_other_projects_private_networks_are_not_found(alice: Net, bob: Net) -> None:
    net = alice.create("network", name="mine")
    assert bob.get(f"/v2.0/networks/{net['id']}").status_code == 404
    assert bob.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}}).status_code == 404
    assert bob.delete(f"/v2.0/networks/{net['id']}").status_code == 404
    assert net["id"] not in [n["id"] for n in bob.get("/v2.0/networks").json()["networks"]]


def test_members_cannot_set_admin_only_attributes(alice: Net) -> None:
    for attrs in (
        {"shared": True},
        {"router:external": True},
        {
            "provider:network_type": "vlan",
            "provider:physical_network": "p",
            "provider:segmentation_id": 10,
        },
    ):
        r = alice.post("/v2.0/networks", {"network": {"name": "x", **attrs}})
        assert r.status_code == 403, attrs
        assert error(r)["type"] == "PolicyNotAuthorized"
    # the default value is not "setting" it (Neutron's rule)
    assert alice.post("/v2.0/networks", {"network": {"shared": False}}).status_code == 201
    net = alice.create("network", name="y")
    r = alice.put(f"/v2.0/networks/{net['id']}", {"network": {"shared": True}})
    assert r.status_code == 403


def test_members_cannot_create_for_another_project(alice: Net, bob: Net) -> None:
    r = alice.post("/v2.0/networks", {"network": {"name": "x", "project_id": bob.project_id}})
    assert r.status_code == 403


def test_admin_shares_a_network_other_projects_see_it_but_cannot_change_it(
    admin: Net, alice: Net, bob: Net
) -> None:
    net = admin.create(
        "network",
        name="ext",
        shared=True,
        project_id=alice.project_id,
        **{
            "provider:network_type": "vlan",
            "provider:physical_network": "physnet1",
            "provider:segmentation_id": 100,
        },
    )
    assert net["project_id"] == alice.project_id and net["provider:segmentation_id"] == 100
    shown = bob.get(f"/v2.0/networks/{net['id']}").json()["network"]
    assert shown["shared"] is True and "provider:network_type" not in shown
    assert bob.put(f"/v2.0/networks/{net['id']}", {"network": {"name": "z"}}).status_code == 403
    assert bob.delete(f"/v2.0/networks/{net['id']}").status_code == 403
    external = admin.create("network", name="public", **{"router:external": True})
    listed = bob.get("/v2.0/networks?router:external=true").json()["networks"]
    assert [n["id"] for n in listed] == [external["id"]]


def test_unsharing_a_network_other_projects_use_is_409(admin: Net, bob: Net) -> None:
    net = admin.create("network", name="s", shared=True)
    admin.create("subnet", network_id=net["id"], cidr="172.16.0.0/24", ip_version=4)
    bob.create("port", network_id=net["id"])
    r = admin.put(f"/v2.0/networks/{net['id']}", {"network": {"shared": False}})
    assert r.status_code == 409 and "Multiple tenants are using it" in error(r)["message"]


def test_bulk_create(alice: Net) -> None:
    r = alice.post("/v2.0/networks", {"networks": [{"name": "b1"}, {"name": "b2"}]})
    assert r.status_code == 201
    assert [n["name"] for n in r.json()["networks"]] == ["b1", "b2"]


def test_bulk_create_is_all_or_nothing(alice: Net) -> None:
    r = alice.post(
        "/v2.0/networks", {"networks": [{"name": "ok"}, {"name": "bad", "shared": True}]}
    )
    assert r.status_code == 403
    assert alice.get("/v2.0/networks?name=ok").json()["networks"] == []


def test_tags(alice: Net, bob: Net) -> None:
    net = alice.create("network", name="t", tags=["red"])
    base = f"/v2.0/networks/{net['id']}/tags"
    assert alice.get(base).json() == {"tags": ["red"]}
    assert alice.put(base + "/blue").status_code == 201
    assert alice.get(base + "/blue").status_code == 204
    assert alice.get(base + "/green").status_code == 404
    assert alice.put(base, {"tags": ["a", "b", "c"]}).json() == {"tags": ["a", "b", "c"]}
    alice.create("network", name="u", tags=["a"])
    names = lambda q: sorted(n["name"] for n in alice.get(f"/v2.0/networks?{q}").json()["networks"])  # noqa: E731
    assert names("tags=a,b") == ["t"]
    assert names("tags-any=a,zzz") == ["t", "u"]
    assert "t" not in names("not-tags=b")
    assert alice.delete(base + "/b").status_code == 204
    assert alice.delete(base + "/b").status_code == 404
    assert alice.delete(base).status_code == 204
    assert alice.get(f"/v2.0/networks/{net['id']}").json()["network"]["tags"] == []
    assert bob.put(base + "/x").status_code == 404


def test_versions_resources_and_extensions(alice: Net) -> None:
    versions = alice.client.get("/").json()["versions"]
    assert versions[0]["id"] == "v2.0" and versions[0]["status"] == "CURRENT"
    resources = alice.client.get("/v2.0").json()["resources"]
    assert {"networks", "subnets", "ports", "security-groups"} <= {
        r["collection"] for r in resources
    }
    aliases = {e["alias"] for e in alice.get("/v2.0/extensions").json()["extensions"]}
    assert {
        "security-group",
        "binding",
        "port-security",
        "quotas",
        "external-net",
        "provider",
        "standard-attr-tag",
        "net-mtu",
        "project-id",
    } <= aliases
    assert "router" not in aliases and "dns-integration" not in aliases
    assert alice.get("/v2.0/extensions/binding").json()["extension"]["alias"] == "binding"
    assert alice.get("/v2.0/extensions/router").status_code == 404


def test_requests_without_token_are_401(alice: Net) -> None:
    r = alice.client.get("/v2.0/networks")
    assert r.status_code == 401
    error(r)
