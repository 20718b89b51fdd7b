"""``/v3/credentials`` (blobs encrypted at rest) and OS-EC2 credentials."""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from stratus.db.models.identity import Credential
from stratus.services.identity.credentials import lookup_ec2_credential
from stratus.services.identity.credentials_crypto import CredentialCipher
from tests.fixtures.cloud import Cloud


def _cipher(cloud: Cloud) -> CredentialCipher:
    return CredentialCipher(str(cloud.cfg.state_path / "credential-keys"))


def test_crud_and_encryption(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    body = {"type": "totp", "blob": "very-secret-seed", "user_id": alice.user_id}
    r = cloud.identity.post("/v3/credentials", json={"credential": body}, headers=alice.headers)
    assert r.status_code == 201, r.text
    cred = r.json()["credential"]
    assert cred["blob"] == "very-secret-seed" and cred["project_id"] is None
    with cloud.db.read() as s:
        stored = s.scalar(sa.select(Credential.encrypted_blob).where(Credential.id == cred["id"]))
    assert stored and "very-secret-seed" not in stored
    url = f"/v3/credentials/{cred['id']}"
    assert (
        cloud.identity.get(url, headers=alice.headers).json()["credential"]["blob"]
        == "very-secret-seed"
    )
    r = cloud.identity.patch(url, json={"credential": {"blob": "other"}}, headers=alice.headers)
    assert r.status_code == 200 and r.json()["credential"]["blob"] == "other"
    assert cloud.identity.delete(url, headers=alice.headers).status_code == 204
    r = cloud.identity.get(url, headers=alice.headers)
    assert (
        r.status_code == 404
        and r.json()["error"]["message"] == f"Could not find credential: {cred['id']}."
    )


def test_ec2_type_id_is_sha256_of_access(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("p1")
    blob = json.dumps({"access": "AKIA1", "secret": "s3cr3t"})
    body = {"type": "ec2", "blob": blob, "user_id": alice.user_id, "project_id": alice.project_id}
    r = cloud.identity.post("/v3/credentials", json={"credential": body}, headers=admin)
    assert r.status_code == 201
    assert r.json()["credential"]["id"] == hashlib.sha256(b"AKIA1").hexdigest()
    assert (
        cloud.identity.post("/v3/credentials", json={"credential": body}, headers=admin).status_code
        == 409
    )
    no_access = {**body, "blob": json.dumps({"secret": "x"})}
    assert (
        cloud.identity.post(
            "/v3/credentials", json={"credential": no_access}, headers=admin
        ).status_code
        == 400
    )
    not_json = {**body, "blob": "{oops"}
    assert (
        cloud.identity.post(
            "/v3/credentials", json={"credential": not_json}, headers=admin
        ).status_code
        == 400
    )
    no_project = {k: v for k, v in body.items() if k != "project_id"}
    assert (
        cloud.identity.post(
            "/v3/credentials", json={"credential": no_project}, headers=admin
        ).status_code
        == 400
    )


def test_listing_and_policy(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice, bob = cloud.new_user("p1"), cloud.new_user("p2")
    for who in (alice, bob):
        body = {"type": "cert", "blob": f"blob-{who.user_name}", "user_id": who.user_id}
        assert (
            cloud.identity.post(
                "/v3/credentials", json={"credential": body}, headers=who.headers
            ).status_code
            == 201
        )
    mine = cloud.identity.get("/v3/credentials", headers=alice.headers).json()["credentials"]
    assert [c["user_id"] for c in mine] == [alice.user_id]
    assert (
        cloud.identity.get(f"/v3/credentials?user_id={bob.user_id}", headers=alice.headers).json()[
            "credentials"
        ]
        == []
    )
    everyone = cloud.identity.get("/v3/credentials?type=cert", headers=admin).json()["credentials"]
    assert {c["user_id"] for c in everyone} == {alice.user_id, bob.user_id}
    bobs = cloud.identity.get(f"/v3/credentials?user_id={bob.user_id}", headers=admin).json()[
        "credentials"
    ]
    body = {"type": "cert", "blob": "x", "user_id": bob.user_id}
    assert (
        cloud.identity.post(
            "/v3/credentials", json={"credential": body}, headers=alice.headers
        ).status_code
        == 403
    )
    assert (
        cloud.identity.get(f"/v3/credentials/{bobs[0]['id']}", headers=alice.headers).status_code
        == 403
    )
    assert (
        cloud.identity.delete(f"/v3/credentials/{bobs[0]['id']}", headers=alice.headers).status_code
        == 403
    )
    r = cloud.identity.patch(
        f"/v3/credentials/{bobs[0]['id']}",
        json={"credential": {"user_id": alice.user_id}},
        headers=alice.headers,
    )
    assert r.status_code == 403


def test_os_ec2(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    base = f"/v3/users/{alice.user_id}/credentials/OS-EC2"
    r = cloud.identity.post(base, json={"tenant_id": alice.project_id}, headers=alice.headers)
    assert r.status_code == 201, r.text
    cred = r.json()["credential"]
    assert (
        cred["user_id"] == alice.user_id
        and cred["tenant_id"] == alice.project_id
        and cred["trust_id"] is None
    )
    assert len(cred["access"]) == 32 and len(cred["secret"]) == 32
    assert cred["links"]["self"].endswith(f"{base}/{cred['access']}")
    listed = cloud.identity.get(base, headers=alice.headers).json()["credentials"]
    assert [c["access"] for c in listed] == [cred["access"]]
    assert (
        cloud.identity.get(f"{base}/{cred['access']}", headers=alice.headers).json()["credential"][
            "secret"
        ]
        == cred["secret"]
    )
    assert lookup_ec2_credential(cloud.db, cred["access"], _cipher(cloud)) == (
        alice.user_id,
        alice.project_id,
        cred["secret"],
    )
    demo = cloud.demo_headers()
    assert cloud.identity.get(base, headers=demo).status_code == 403
    assert (
        cloud.identity.post(base, json={"tenant_id": alice.project_id}, headers=demo).status_code
        == 403
    )
    assert (
        cloud.identity.post(base, json={"tenant_id": "nope"}, headers=alice.headers).status_code
        == 404
    )
    assert cloud.identity.post(base, json={}, headers=alice.headers).status_code == 400
    assert (
        cloud.identity.delete(f"{base}/{cred['access']}", headers=alice.headers).status_code == 204
    )
    assert cloud.identity.get(f"{base}/{cred['access']}", headers=alice.headers).status_code == 404
