"""Access rules of application credentials: list, show, delete, reuse, and who may see them."""

from __future__ import annotations

from typing import Any

from tests.fixtures.cloud import Account, Cloud

IPS = {"service": "compute", "path": "/v2.1/servers/*/ips", "method": "GET"}
IMAGES = {"service": "image", "path": "/v2/images", "method": "GET"}


def _create_cred(
    cloud: Cloud, who: Account, name: str, rules: list[dict[str, Any]], status: int = 201
) -> dict[str, Any]:
    r = cloud.identity.post(
        f"/v3/users/{who.user_id}/application_credentials",
        json={"application_credential": {"name": name, "access_rules": rules}},
        headers=who.headers,
    )
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body.get("application_credential", body)


def _rules_url(who: Account, rule_id: str = "") -> str:
    return f"/v3/users/{who.user_id}/access_rules" + (f"/{rule_id}" if rule_id else "")


def _list(cloud: Cloud, who: Account, query: str = "") -> list[dict[str, Any]]:
    r = cloud.identity.get(_rules_url(who) + query, headers=who.headers)
    assert r.status_code == 200, r.text
    rules: list[dict[str, Any]] = r.json()["access_rules"]
    return rules


def test_create_list_show_delete(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    cred = _create_cred(cloud, alice, "ci", [IPS, IMAGES])
    shown = [{k: v for k, v in r.items() if k != "id"} for r in cred["access_rules"]]
    assert shown == [IPS, IMAGES]
    ids = [r["id"] for r in cred["access_rules"]]
    assert all(len(i) == 32 for i in ids)

    listed = _list(cloud, alice)
    assert [r["id"] for r in listed] == ids
    assert listed[0]["links"]["self"].endswith(f"/v3/users/{alice.user_id}/access_rules/{ids[0]}")
    assert [r["id"] for r in _list(cloud, alice, "?service=image")] == [ids[1]]
    assert [r["id"] for r in _list(cloud, alice, "?method=GET&path=/v2.1/servers/*/ips")] == [
        ids[0]
    ]
    assert _list(cloud, alice, "?method=POST") == []

    r = cloud.identity.get(_rules_url(alice, ids[0]), headers=alice.headers)
    assert r.status_code == 200, r.text
    assert r.json()["access_rule"] == {"id": ids[0], **IPS, "links": listed[0]["links"]}

    shown_cred = cloud.identity.get(
        f"/v3/users/{alice.user_id}/application_credentials/{cred['id']}", headers=alice.headers
    ).json()["application_credential"]
    assert shown_cred["access_rules"] == cred["access_rules"]

    # in use: refused; once the credential is gone the rules stay, and can then be deleted
    r = cloud.identity.delete(_rules_url(alice, ids[0]), headers=alice.headers)
    assert r.status_code == 403, r.text
    assert "in use" in r.json()["error"]["message"]
    assert (
        cloud.identity.delete(
            f"/v3/users/{alice.user_id}/application_credentials/{cred['id']}",
            headers=alice.headers,
        ).status_code
        == 204
    )
    assert [r["id"] for r in _list(cloud, alice)] == ids
    assert (
        cloud.identity.delete(_rules_url(alice, ids[0]), headers=alice.headers).status_code == 204
    )
    assert [r["id"] for r in _list(cloud, alice)] == [ids[1]]
    assert cloud.identity.get(_rules_url(alice, ids[0]), headers=alice.headers).status_code == 404
    assert (
        cloud.identity.delete(_rules_url(alice, ids[0]), headers=alice.headers).status_code == 404
    )


def test_rules_are_reused_across_credentials(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    first = _create_cred(cloud, alice, "one", [IPS])["access_rules"][0]["id"]
    # same service/path/method: the same rule, even when named twice in one request
    again = _create_cred(cloud, alice, "two", [IPS, dict(IPS)])["access_rules"]
    assert [r["id"] for r in again] == [first]
    # by id alone
    by_id = _create_cred(cloud, alice, "three", [{"id": first}])["access_rules"]
    assert by_id == [{"id": first, **IPS}]
    # a new rule with an id the caller chose
    chosen = _create_cred(cloud, alice, "four", [{"id": "my-rule", **IMAGES}])["access_rules"]
    assert chosen == [{"id": "my-rule", **IMAGES}]
    assert [r["id"] for r in _list(cloud, alice)] == [first, "my-rule"]


def test_token_lists_the_rules(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    r = cloud.identity.post(
        f"/v3/users/{alice.user_id}/application_credentials",
        json={"application_credential": {"name": "t", "secret": "s3cret", "access_rules": [IPS]}},
        headers=alice.headers,
    )
    cred = r.json()["application_credential"]
    auth = {
        "identity": {
            "methods": ["application_credential"],
            "application_credential": {"id": cred["id"], "secret": "s3cret"},
        }
    }
    r = cloud.identity.post("/v3/auth/tokens?nocatalog", json={"auth": auth})
    assert r.status_code == 201, r.text
    assert r.json()["token"]["application_credential"]["access_rules"] == cred["access_rules"]


def test_other_users(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    bob = cloud.new_user("p2", role="member")
    rule_id = _create_cred(cloud, alice, "ci", [IPS])["access_rules"][0]["id"]

    # bob can neither read alice's rules nor reach them through his own path
    assert cloud.identity.get(_rules_url(alice), headers=bob.headers).status_code == 403
    assert cloud.identity.get(_rules_url(alice, rule_id), headers=bob.headers).status_code == 403
    assert cloud.identity.delete(_rules_url(alice, rule_id), headers=bob.headers).status_code == 403
    assert cloud.identity.get(_rules_url(bob, rule_id), headers=bob.headers).status_code == 404
    assert cloud.identity.delete(_rules_url(bob, rule_id), headers=bob.headers).status_code == 404
    # nor borrow one by id for his own credential
    _create_cred(cloud, bob, "steal", [{"id": rule_id}], status=404)
    _create_cred(cloud, bob, "steal2", [{"id": rule_id, **IPS}], status=404)
    # the same service/path/method gives bob a rule of his own
    own = _create_cred(cloud, bob, "own", [IPS])["access_rules"][0]["id"]
    assert own != rule_id
    assert [r["id"] for r in _list(cloud, bob)] == [own]

    # admins may look and delete
    admin = cloud.admin_headers()
    r = cloud.identity.get(_rules_url(alice), headers=admin)
    assert r.status_code == 200 and [x["id"] for x in r.json()["access_rules"]] == [rule_id]
    assert cloud.identity.get(_rules_url(alice, rule_id), headers=admin).status_code == 200
    assert cloud.identity.delete(_rules_url(alice, rule_id), headers=admin).status_code == 403


def test_deleting_the_user_deletes_the_rules(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    _create_cred(cloud, alice, "ci", [IPS])
    admin = cloud.admin_headers()
    assert cloud.identity.delete(f"/v3/users/{alice.user_id}", headers=admin).status_code == 204
    r = cloud.identity.get(_rules_url(alice), headers=admin)
    assert r.status_code == 200 and r.json()["access_rules"] == []


def test_bad_input(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    bad_rules: list[Any] = [
        "GET /v2/images",
        {"service": "image", "path": "/v2/images"},  # no method
        {"service": "image", "path": "/v2/images", "method": "get"},
        {"service": "image", "path": "/v2/images", "method": "TRACE"},
        {"service": "image", "path": "v2/images", "method": "GET"},
        {"service": "image", "path": "/" + "x" * 300, "method": "GET"},
        {"service": "im age", "path": "/v2/images", "method": "GET"},
        {"service": "image", "path": "/v2/images", "method": "GET", "extra": 1},
        {"id": "not/an/id", "service": "image", "path": "/v2/images", "method": "GET"},
        {},
    ]
    for i, rule in enumerate(bad_rules):
        _create_cred(cloud, alice, f"bad{i}", [rule], status=400)
    _create_cred(cloud, alice, "unknown", [{"id": "0" * 32}], status=404)
    r = cloud.identity.post(
        f"/v3/users/{alice.user_id}/application_credentials",
        json={"application_credential": {"name": "x", "access_rules": {"service": "image"}}},
        headers=alice.headers,
    )
    assert r.status_code == 400, r.text
    # nothing was left behind by the refused requests
    assert _list(cloud, alice) == []
    creds = cloud.identity.get(
        f"/v3/users/{alice.user_id}/application_credentials", headers=alice.headers
    ).json()["application_credentials"]
    assert creds == []
