"""Application credentials: create (secret once), list, show, delete, authenticate with them."""

from __future__ import annotations

from typing import Any

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import token_status


def _auth(cred_id: str, secret: str) -> dict[str, Any]:
    return {
        "auth": {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": cred_id, "secret": secret},
            }
        }
    }


def test_create_authenticate_delete(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    base = f"/v3/users/{alice.user_id}/application_credentials"
    r = cloud.identity.post(
        base,
        json={"application_credential": {"name": "ci", "description": "for CI"}},
        headers=alice.headers,
    )
    assert r.status_code == 201, r.text
    cred = r.json()["application_credential"]
    assert (
        cred["project_id"] == alice.project_id and cred["secret"] and cred["unrestricted"] is False
    )
    assert {x["name"] for x in cred["roles"]} == {"member", "reader"}
    shown = cloud.identity.get(f"{base}/{cred['id']}", headers=alice.headers).json()[
        "application_credential"
    ]
    assert "secret" not in shown and shown["name"] == "ci"
    assert [
        x["id"]
        for x in cloud.identity.get(f"{base}?name=ci", headers=alice.headers).json()[
            "application_credentials"
        ]
    ] == [cred["id"]]
    r = cloud.identity.post("/v3/auth/tokens", json=_auth(cred["id"], cred["secret"]))
    assert r.status_code == 201, r.text
    token = r.headers["X-Subject-Token"]
    body = r.json()["token"]
    assert body["project"]["id"] == alice.project_id and body["methods"] == [
        "application_credential"
    ]
    assert body["application_credential"]["id"] == cred["id"]
    assert token_status(cloud, token) == 200
    assert (
        cloud.identity.post("/v3/auth/tokens", json=_auth(cred["id"], "wrong")).status_code == 401
    )
    assert cloud.identity.delete(f"{base}/{cred['id']}", headers=alice.headers).status_code == 204
    assert token_status(cloud, token) == 401
    assert (
        cloud.identity.post("/v3/auth/tokens", json=_auth(cred["id"], cred["secret"])).status_code
        == 401
    )


def test_roles_subset_and_given_secret(cloud: Cloud) -> None:
    alice = cloud.new_user("p1", role="member")
    base = f"/v3/users/{alice.user_id}/application_credentials"
    body = {"name": "ro", "secret": "my-secret", "roles": [{"name": "reader"}]}
    r = cloud.identity.post(base, json={"application_credential": body}, headers=alice.headers)
    assert r.status_code == 201 and r.json()["application_credential"]["secret"] == "my-secret"
    assert [x["name"] for x in r.json()["application_credential"]["roles"]] == ["reader"]
    r = cloud.identity.post(
        "/v3/auth/tokens", json=_auth(r.json()["application_credential"]["id"], "my-secret")
    )
    assert [x["name"] for x in r.json()["token"]["roles"]] == ["reader"]
    too_much = {"name": "adm", "roles": [{"name": "admin"}]}
    assert (
        cloud.identity.post(
            base, json={"application_credential": too_much}, headers=alice.headers
        ).status_code
        == 404
    )
    assert (
        cloud.identity.post(
            base, json={"application_credential": {"name": "ro"}}, headers=alice.headers
        ).status_code
        == 409
    )


def test_only_owner_creates_admin_may_read(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    admin = cloud.admin_headers()
    base = f"/v3/users/{alice.user_id}/application_credentials"
    assert (
        cloud.identity.post(
            base, json={"application_credential": {"name": "x"}}, headers=admin
        ).status_code
        == 403
    )
    r = cloud.identity.post(
        base, json={"application_credential": {"name": "x"}}, headers=alice.headers
    )
    cred_id = r.json()["application_credential"]["id"]
    assert cloud.identity.get(base, headers=admin).status_code == 200
    assert cloud.identity.get(base, headers=cloud.demo_headers()).status_code == 403
    assert cloud.identity.get(f"{base}/{cred_id}", headers=cloud.demo_headers()).status_code == 403
    assert cloud.identity.get(f"{base}/nope", headers=alice.headers).status_code == 404
    assert cloud.identity.delete(f"{base}/{cred_id}", headers=admin).status_code == 204


def test_expired_or_past_expiry(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    base = f"/v3/users/{alice.user_id}/application_credentials"
    past = {"name": "old", "expires_at": "2001-01-01T00:00:00Z"}
    assert (
        cloud.identity.post(
            base, json={"application_credential": past}, headers=alice.headers
        ).status_code
        == 400
    )
    bad = {"name": "bad", "expires_at": "tomorrow"}
    assert (
        cloud.identity.post(
            base, json={"application_credential": bad}, headers=alice.headers
        ).status_code
        == 400
    )
