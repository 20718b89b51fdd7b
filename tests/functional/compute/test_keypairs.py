"""Key pairs: import with known fingerprints, generation, per-user isolation, microversion
shapes and status codes, paging, quota."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.fixtures.cloud import Cloud
from tests.functional.compute.basics_helpers import mv


def _openssh(key: object) -> str:
    public = key.public_key()  # type: ignore[attr-defined]
    return public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


def _md5(line: str) -> str:
    digest = hashlib.md5(base64.b64decode(line.split()[1])).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def test_import_fingerprints_for_each_key_type(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    keys = {
        "rsa": _openssh(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "ed25519": _openssh(ed25519.Ed25519PrivateKey.generate()),
        "ecdsa": _openssh(ec.generate_private_key(ec.SECP256R1())),
    }
    for name, line in keys.items():
        public = line + f" me@{name}\n"
        r = cloud.compute.post(
            "/v2.1/os-keypairs",
            json={"keypair": {"name": name, "public_key": public}},
            headers=demo,
        )
        assert r.status_code == 200, r.text  # 2.1
        body = r.json()["keypair"]
        assert body["fingerprint"] == _md5(line)
        assert "private_key" not in body and "type" not in body
        assert body["public_key"] == public
    r = cloud.compute.get("/v2.1/os-keypairs", headers=demo)
    listed = {k["keypair"]["name"]: k["keypair"] for k in r.json()["keypairs"]}
    assert sorted(listed) == ["ecdsa", "ed25519", "rsa"]
    assert listed["rsa"]["fingerprint"] == _md5(keys["rsa"])
    assert set(listed["rsa"]) == {"name", "public_key", "fingerprint"}


def test_generate_returns_private_key_once(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    r = cloud.compute.post("/v2.1/os-keypairs", json={"keypair": {"name": "gen"}}, headers=demo)
    assert r.status_code == 200
    body = r.json()["keypair"]
    private = serialization.load_pem_private_key(body["private_key"].encode(), password=None)
    assert _openssh(private) == " ".join(body["public_key"].split()[:2])
    assert body["fingerprint"] == _md5(body["public_key"])
    shown = cloud.compute.get("/v2.1/os-keypairs/gen", headers=demo).json()["keypair"]
    assert "private_key" not in shown
    assert shown["public_key"] == body["public_key"]
    assert shown["deleted"] is False and isinstance(shown["id"], int)
    assert shown["user_id"] == body["user_id"]


def test_microversion_2_2_type_and_status_codes(cloud: Cloud) -> None:
    demo = mv(cloud.demo_headers(), "2.2")
    r = cloud.compute.post("/v2.1/os-keypairs", json={"keypair": {"name": "k"}}, headers=demo)
    assert r.status_code == 201 and r.json()["keypair"]["type"] == "ssh"
    listed = cloud.compute.get("/v2.1/os-keypairs", headers=demo).json()["keypairs"]
    assert listed[0]["keypair"]["type"] == "ssh"
    x509 = {"keypair": {"name": "cert", "type": "x509"}}
    r = cloud.compute.post("/v2.1/os-keypairs", json=x509, headers=demo)
    assert r.status_code == 201
    body = r.json()["keypair"]
    assert body["type"] == "x509" and body["public_key"].startswith("-----BEGIN CERTIFICATE")
    assert len(body["fingerprint"].split(":")) == 20  # SHA-1
    assert cloud.compute.delete("/v2.1/os-keypairs/k", headers=demo).status_code == 204
    old = cloud.demo_headers()
    assert cloud.compute.delete("/v2.1/os-keypairs/cert", headers=old).status_code == 202
    r = cloud.compute.post(
        "/v2.1/os-keypairs", json={"keypair": {"name": "t", "type": "x509"}}, headers=old
    )
    assert r.status_code == 400  # ``type`` is unknown before 2.2


def test_keypairs_are_per_user(cloud: Cloud) -> None:
    alice = cloud.new_user("kp-a")
    bob = cloud.new_user("kp-b")
    body = {"keypair": {"name": "mine"}}
    assert cloud.compute.post("/v2.1/os-keypairs", json=body, headers=alice.headers).status_code
    assert cloud.compute.get("/v2.1/os-keypairs/mine", headers=bob.headers).status_code == 404
    assert cloud.compute.delete("/v2.1/os-keypairs/mine", headers=bob.headers).status_code == 404
    assert cloud.compute.get("/v2.1/os-keypairs", headers=bob.headers).json()["keypairs"] == []
    # the same name is free for another user
    r = cloud.compute.post("/v2.1/os-keypairs", json=body, headers=bob.headers)
    assert r.status_code == 200
    # 2.10: an admin may act for a user; a member may not
    admin = mv(cloud.admin_headers(), "2.10")
    r = cloud.compute.get(f"/v2.1/os-keypairs/mine?user_id={alice.user_id}", headers=admin)
    assert r.status_code == 200 and r.json()["keypair"]["user_id"] == alice.user_id
    r = cloud.compute.get(
        f"/v2.1/os-keypairs?user_id={alice.user_id}", headers=mv(bob.headers, "2.10")
    )
    assert r.status_code == 403
    made = {"keypair": {"name": "for-alice", "user_id": alice.user_id}}
    r = cloud.compute.post("/v2.1/os-keypairs", json=made, headers=admin)
    assert r.status_code == 201 and r.json()["keypair"]["user_id"] == alice.user_id
    names = [
        k["keypair"]["name"]
        for k in cloud.compute.get("/v2.1/os-keypairs", headers=alice.headers).json()["keypairs"]
    ]
    assert names == ["for-alice", "mine"]
    r = cloud.compute.delete(f"/v2.1/os-keypairs/for-alice?user_id={alice.user_id}", headers=admin)
    assert r.status_code == 204


def test_duplicate_and_missing(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    body = {"keypair": {"name": "dup"}}
    assert cloud.compute.post("/v2.1/os-keypairs", json=body, headers=demo).status_code == 200
    r = cloud.compute.post("/v2.1/os-keypairs", json=body, headers=demo)
    assert r.status_code == 409
    assert "already exists" in r.json()["conflictingRequest"]["message"]
    assert cloud.compute.get("/v2.1/os-keypairs/none", headers=demo).status_code == 404
    assert cloud.compute.delete("/v2.1/os-keypairs/none", headers=demo).status_code == 404


def test_invalid_names_and_keys(cloud: Cloud) -> None:
    demo = cloud.demo_headers()
    bad = [
        {"name": "key_/.\\@:"},
        {"name": ""},
        {"name": " leading"},
        {"name": "x" * 256},
        {"name": "ok", "public_key": "ssh-rsa JUNK nova@ubuntu"},
        {"name": "ok", "public_key": "ssh-rsa " + "A" * 2000 + " openstack@ubuntu"},
        {"name": "ok", "public_key": ""},
        {"name": "ok", "public_key": 42},
        {"name": "ok", "extra": "field"},
    ]
    for keypair in bad:
        r = cloud.compute.post("/v2.1/os-keypairs", json={"keypair": keypair}, headers=demo)
        assert r.status_code == 400, (keypair, r.text)
        assert "badRequest" in r.json()
    r = cloud.compute.post(
        "/v2.1/os-keypairs",
        json={"keypair": {"name": "c", "type": "x509", "public_key": "not a cert"}},
        headers=mv(demo, "2.2"),
    )
    assert r.status_code == 400


def test_paging_from_2_35(cloud: Cloud) -> None:
    demo = mv(cloud.demo_headers(), "2.35")
    for name in ("a", "b", "c"):
        cloud.compute.post("/v2.1/os-keypairs", json={"keypair": {"name": name}}, headers=demo)
    r = cloud.compute.get("/v2.1/os-keypairs?limit=2", headers=demo)
    body = r.json()
    assert [k["keypair"]["name"] for k in body["keypairs"]] == ["a", "b"]
    assert "marker=b" in body["keypairs_links"][0]["href"]
    r = cloud.compute.get("/v2.1/os-keypairs?limit=2&marker=b", headers=demo)
    assert [k["keypair"]["name"] for k in r.json()["keypairs"]] == ["c"]
    assert cloud.compute.get("/v2.1/os-keypairs?marker=zz", headers=demo).status_code == 400
    # before 2.35 paging parameters are ignored
    r = cloud.compute.get("/v2.1/os-keypairs?limit=1", headers=cloud.demo_headers())
    assert len(r.json()["keypairs"]) == 3


def test_keypair_quota(cloud: Cloud) -> None:
    user = cloud.new_user("kp-quota")
    r = cloud.compute.put(
        f"/v2.1/os-quota-sets/{user.project_id}",
        json={"quota_set": {"key_pairs": 1}},
        headers=cloud.admin_headers(),
    )
    assert r.status_code == 200
    ok = cloud.compute.post(
        "/v2.1/os-keypairs", json={"keypair": {"name": "one"}}, headers=user.headers
    )
    assert ok.status_code == 200
    r = cloud.compute.post(
        "/v2.1/os-keypairs", json={"keypair": {"name": "two"}}, headers=user.headers
    )
    assert r.status_code == 403 and "key_pairs" in r.json()["forbidden"]["message"]
