"""Application-credential access rules are enforced on every API (issue 7).

A token from a credential with access rules may make only the requests a rule names: the
service type of the API it reaches, the method exactly and the path as sent (``*`` one segment,
``**`` any number). Everything else is 401, before policy. Credentials without rules and
password tokens are unaffected.
"""

from __future__ import annotations

import uuid
from typing import Any

from stratus.api import deploy
from tests.fixtures.cloud import Account, Cloud

SECRET = "s3cret-for-tests"


def _rule(service: str, method: str, path: str) -> dict[str, str]:
    return {"service": service, "method": method, "path": path}


def _cred_token(cloud: Cloud, who: Account, rules: list[dict[str, str]] | None) -> str:
    """A project-scoped token from a new application credential of ``who`` with ``rules``."""
    body: dict[str, Any] = {"name": f"cred-{uuid.uuid4().hex[:8]}", "secret": SECRET}
    if rules is not None:
        body["access_rules"] = rules
    r = cloud.identity.post(
        f"/v3/users/{who.user_id}/application_credentials",
        json={"application_credential": body},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    auth = {
        "identity": {
            "methods": ["application_credential"],
            "application_credential": {
                "id": r.json()["application_credential"]["id"],
                "secret": SECRET,
            },
        }
    }
    r = cloud.identity.post("/v3/auth/tokens?nocatalog", json={"auth": auth})
    assert r.status_code == 201, r.text
    token: str = r.headers["X-Subject-Token"]
    return token


def _h(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token}


def _refused(r: Any) -> None:
    assert r.status_code == 401, r.text
    assert "access rules" in r.text
    assert r.headers["WWW-Authenticate"].startswith("Keystone uri=")


def test_every_api_is_named_by_its_catalog_type(cloud: Cloud) -> None:
    # NOTE: rules name catalog types; an API whose state has another name could not be matched.
    types = {spec.type for spec in deploy.service_specs(cloud.cfg)}
    for name, api in cloud.apps.items():
        assert api.app.state.stratus.name in types, name


def test_identity(cloud: Cloud) -> None:
    alice = cloud.new_user(role="member")
    creds = f"/v3/users/{alice.user_id}/application_credentials"
    token = _cred_token(
        cloud,
        alice,
        [
            _rule("identity", "GET", "/v3/users/*/application_credentials"),
            _rule("identity", "GET", "/v3/users/{user_id}/access_rules/**"),
        ],
    )
    assert cloud.identity.get(creds, headers=_h(token)).status_code == 200
    # same path, other method: refused here, before the credential rule's 403
    _refused(
        cloud.identity.post(
            creds, json={"application_credential": {"name": "x"}}, headers=_h(token)
        )
    )
    # other paths
    _refused(cloud.identity.get(f"/v3/users/{alice.user_id}", headers=_h(token)))
    _refused(cloud.identity.get("/v3/auth/projects", headers=_h(token)))
    _refused(cloud.identity.get(f"/v3/users/{alice.user_id}/access_rules", headers=_h(token)))
    # "**" spans segments; "{user_id}" is one segment
    rule_id = cloud.identity.get(creds, headers=_h(token)).json()["application_credentials"][0][
        "access_rules"
    ][0]["id"]
    r = cloud.identity.get(f"/v3/users/{alice.user_id}/access_rules/{rule_id}", headers=_h(token))
    assert r.status_code == 200, r.text
    # a token may always validate itself (keystonemiddleware's exception)
    r = cloud.identity.get(
        "/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token}
    )
    assert r.status_code == 200, r.text
    # a token rescoped from it keeps the credential, so its rules too
    r = cloud.identity.post(
        "/v3/auth/tokens?nocatalog",
        json={
            "auth": {
                "identity": {"methods": ["token"], "token": {"id": token}},
                "scope": {"project": {"id": alice.project_id}},
            }
        },
    )
    assert r.status_code == 201, r.text
    rescoped = r.headers["X-Subject-Token"]
    assert cloud.identity.get(creds, headers=_h(rescoped)).status_code == 200
    _refused(cloud.identity.get("/v3/auth/projects", headers=_h(rescoped)))


def test_image(cloud: Cloud) -> None:
    alice = cloud.new_user(role="member")
    r = cloud.image.post(
        "/v2/images",
        json={"name": "mine", "disk_format": "raw", "container_format": "bare"},
        headers=alice.headers,
    )
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    token = _cred_token(
        cloud,
        alice,
        [_rule("image", "GET", "/v2/images"), _rule("image", "GET", "/v2/images/*")],
    )
    assert cloud.image.get("/v2/images", headers=_h(token)).status_code == 200
    assert cloud.image.get(f"/v2/images/{image_id}", headers=_h(token)).status_code == 200
    # other method on an allowed path: no uploads, no new images
    _refused(
        cloud.image.post(
            "/v2/images",
            json={"name": "x", "disk_format": "raw", "container_format": "bare"},
            headers=_h(token),
        )
    )
    _refused(cloud.image.delete(f"/v2/images/{image_id}", headers=_h(token)))
    # "*" is one segment: the image's data is another path
    _refused(cloud.image.get(f"/v2/images/{image_id}/file", headers=_h(token)))
    _refused(
        cloud.image.put(
            f"/v2/images/{image_id}/file",
            content=b"x" * 512,
            headers={**_h(token), "Content-Type": "application/octet-stream"},
        )
    )
    # "**" spans segments
    deep = _cred_token(cloud, alice, [_rule("image", "GET", "/v2/**")])
    assert cloud.image.get(f"/v2/images/{image_id}", headers=_h(deep)).status_code == 200
    assert cloud.image.get("/v2/schemas/image", headers=_h(deep)).status_code == 200
    _refused(cloud.image.patch(f"/v2/images/{image_id}", json=[], headers=_h(deep)))
    assert cloud.image.get(f"/v2/images/{image_id}", headers=alice.headers).status_code == 200


def test_compute(cloud: Cloud) -> None:
    alice = cloud.new_user(role="member")
    r = cloud.compute.post(
        "/v2.1/os-keypairs", json={"keypair": {"name": "k1"}}, headers=alice.headers
    )
    assert r.status_code == 200, r.text
    token = _cred_token(
        cloud,
        alice,
        [
            _rule("compute", "GET", "/v2.1/servers"),
            _rule("compute", "GET", "/v2.1/os-keypairs/*"),
        ],
    )
    assert cloud.compute.get("/v2.1/servers", headers=_h(token)).status_code == 200
    assert cloud.compute.get("/v2.1/os-keypairs/k1", headers=_h(token)).status_code == 200
    # the list: none of these is GET /v2.1/servers
    _refused(cloud.compute.get("/v2.1/servers/detail", headers=_h(token)))
    _refused(
        cloud.compute.post("/v2.1/os-keypairs", json={"keypair": {"name": "k2"}}, headers=_h(token))
    )
    _refused(cloud.compute.post("/v2.1/servers", json={"server": {}}, headers=_h(token)))
    _refused(cloud.compute.get("/v2.1/os-keypairs", headers=_h(token)))
    _refused(cloud.compute.delete("/v2.1/os-keypairs/k1", headers=_h(token)))
    # the path as sent: /v2/servers is another path than the rule's /v2.1/servers
    _refused(cloud.compute.get("/v2/servers", headers=_h(token)))
    # a rule of another service allows nothing here
    other = _cred_token(cloud, alice, [_rule("image", "GET", "/v2.1/servers")])
    _refused(cloud.compute.get("/v2.1/servers", headers=_h(other)))
    # "**" spans segments
    deep = _cred_token(cloud, alice, [_rule("compute", "GET", "/v2.1/**")])
    assert cloud.compute.get("/v2.1/servers/detail", headers=_h(deep)).status_code == 200
    assert cloud.compute.get("/v2.1/flavors/detail", headers=_h(deep)).status_code == 200
    _refused(cloud.compute.delete("/v2.1/os-keypairs/k1", headers=_h(deep)))


def test_network(cloud: Cloud) -> None:
    alice = cloud.new_user(role="member")
    r = cloud.network.post(
        "/v2.0/networks", json={"network": {"name": "n1"}}, headers=alice.headers
    )
    assert r.status_code == 201, r.text
    net_id = r.json()["network"]["id"]
    token = _cred_token(
        cloud,
        alice,
        [
            _rule("network", "GET", "/v2.0/networks"),
            _rule("network", "PUT", "/v2.0/networks/*"),
        ],
    )
    assert cloud.network.get("/v2.0/networks", headers=_h(token)).status_code == 200
    r = cloud.network.put(
        f"/v2.0/networks/{net_id}", json={"network": {"name": "n2"}}, headers=_h(token)
    )
    assert r.status_code == 200, r.text
    _refused(cloud.network.get(f"/v2.0/networks/{net_id}", headers=_h(token)))
    _refused(cloud.network.post("/v2.0/networks", json={"network": {}}, headers=_h(token)))
    _refused(
        cloud.network.post(
            "/v2.0/security-groups",
            json={"security_group": {"name": "open"}},
            headers=_h(token),
        )
    )
    _refused(cloud.network.delete(f"/v2.0/networks/{net_id}", headers=_h(token)))
    # "*" is one segment
    _refused(cloud.network.put(f"/v2.0/networks/{net_id}/tags/t1", headers=_h(token)))
    # "**" spans segments
    deep = _cred_token(cloud, alice, [_rule("network", "PUT", "/v2.0/networks/**")])
    r = cloud.network.put(f"/v2.0/networks/{net_id}/tags/t1", headers=_h(deep))
    assert r.status_code in (201, 204), r.text
    _refused(cloud.network.get("/v2.0/networks", headers=_h(deep)))


def test_credentials_without_rules_and_password_tokens_are_unaffected(cloud: Cloud) -> None:
    alice = cloud.new_user(role="member")
    for token in (_cred_token(cloud, alice, None), _cred_token(cloud, alice, []), alice.token):
        assert cloud.identity.get("/v3/auth/projects", headers=_h(token)).status_code == 200
        assert cloud.image.get("/v2/images", headers=_h(token)).status_code == 200
        assert cloud.compute.get("/v2.1/servers/detail", headers=_h(token)).status_code == 200
        r = cloud.compute.get("/v2/servers", headers=_h(token))
        assert r.status_code == 200, r.text
        r = cloud.network.post(
            "/v2.0/security-groups",
            json={"security_group": {"name": f"sg-{token[-6:]}"}},
            headers=_h(token),
        )
        assert r.status_code == 201, r.text
