"""The identity bootstrap's service user ``stratus``: role ``service`` on project ``service`` (not
the cloud admin), its password only in ``<data dir>/service-credentials`` (0600), kept across
bootstraps. What compute hosts need (show and download any image) works with it; admin-only
APIs refuse it."""

from __future__ import annotations

import stat

import pytest

from stratus.api import deploy
from stratus.client.auth import AuthError, PasswordSession
from stratus.common import service_credentials
from stratus.db.repositories.identity import assignments, projects, roles, users
from tests.fixtures.cloud import Cloud


def _login(cloud: Cloud) -> dict[str, object]:
    creds = service_credentials.load(cloud.cfg)
    r = cloud.identity.post(
        "/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": creds.username,
                            "domain": {"name": "Default"},
                            "password": creds.password,
                        }
                    },
                },
                "scope": {"project": {"name": "service", "domain": {"name": "Default"}}},
            }
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json()["token"])


def test_service_user_holds_only_the_service_role_on_project_service(cloud: Cloud) -> None:
    path = service_credentials.path_of(cloud.cfg)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = _login(cloud)
    assert token["project"]["name"] == "service"  # type: ignore[index]
    roles = {r["name"] for r in token["roles"]}  # type: ignore[attr-defined]
    assert roles == {"service"}


def _service_headers(cloud: Cloud) -> dict[str, str]:
    creds = service_credentials.load(cloud.cfg)
    return {"X-Auth-Token": cloud.token(creds.username, creds.password, creds.project_name)}


def _private_image(cloud: Cloud) -> str:
    demo = cloud.demo_headers()
    r = cloud.image.post(
        "/v2/images",
        json={
            "name": "mine",
            "disk_format": "raw",
            "container_format": "bare",
            "visibility": "private",
        },
        headers=demo,
    )
    assert r.status_code == 201, r.text
    image_id = str(r.json()["id"])
    r = cloud.image.put(
        f"/v2/images/{image_id}/file",
        content=b"private bytes",
        headers={**demo, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 204, r.text
    return image_id


def test_service_user_reads_any_image_as_a_compute_host_must(cloud: Cloud) -> None:
    image_id = _private_image(cloud)  # private to project demo
    service = _service_headers(cloud)
    r = cloud.image.get(f"/v2/images/{image_id}", headers=service)
    assert r.status_code == 200, r.text
    assert r.json()["visibility"] == "private"
    r = cloud.image.get(f"/v2/images/{image_id}/file", headers=service)
    assert (r.status_code, r.content) == (200, b"private bytes")
    # ... and may not change it
    r = cloud.image.delete(f"/v2/images/{image_id}", headers=service)
    assert r.status_code == 403, r.text


def test_service_user_is_not_the_cloud_admin(cloud: Cloud) -> None:
    service = _service_headers(cloud)
    r = cloud.identity.post(
        "/v3/users", json={"user": {"name": "intruder", "password": "x" * 12}}, headers=service
    )
    assert r.status_code == 403, r.text
    r = cloud.identity.get("/v3/users", headers=service)
    assert r.status_code == 403, r.text
    flavor = {"flavor": {"name": "huge", "ram": 1024, "vcpus": 1, "disk": 1}}
    r = cloud.compute.post("/v2.1/flavors", json=flavor, headers=service)
    assert r.status_code == 403, r.text
    assert "forbidden" in r.json()
    r = cloud.compute.get("/v2.1/os-hypervisors", headers=service)
    assert r.status_code == 403, r.text
    r = cloud.compute.get("/v2.1/servers?all_tenants=1", headers=service)
    assert r.status_code == 403, r.text
    public = {"name": "p", "disk_format": "raw", "container_format": "bare"}
    r = cloud.image.post("/v2/images", json={**public, "visibility": "public"}, headers=service)
    assert r.status_code == 403, r.text
    r = cloud.network.post(
        "/v2.0/networks", json={"network": {"name": "n", "shared": True}}, headers=service
    )
    assert r.status_code == 403, r.text


def test_an_older_service_user_loses_admin_at_the_next_bootstrap(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        user = users.find_by_name(session, "stratus", "default")
        project = projects.find_by_name(session, "service", "default")
        admin = roles.find_by_name(session, "admin")
        assert admin is not None
        assignments.grant(session, "user", user.id, "project", project.id, admin.id)
    assert {r["name"] for r in _login(cloud)["roles"]} >= {"admin"}  # type: ignore[attr-defined]
    deploy.prepare(cloud.cfg, cloud.db)
    assert {r["name"] for r in _login(cloud)["roles"]} == {"service"}  # type: ignore[attr-defined]


def test_password_kept_across_bootstraps_and_renewed_when_the_file_is_gone(cloud: Cloud) -> None:
    path = service_credentials.path_of(cloud.cfg)
    first = path.read_text()
    deploy.prepare(cloud.cfg, cloud.db)
    assert path.read_text() == first
    old = service_credentials.load(cloud.cfg)
    path.unlink()
    deploy.prepare(cloud.cfg, cloud.db)
    new = service_credentials.load(cloud.cfg)
    assert new.password != old.password
    _login(cloud)
    r = cloud.identity.get("/v3/users?name=stratus", headers=cloud.admin_headers())
    assert len(r.json()["users"]) == 1


def test_password_session_finds_the_catalog_and_rejects_a_wrong_password(cloud: Cloud) -> None:
    creds = service_credentials.load(cloud.cfg)
    session = PasswordSession(creds, transport=cloud.http_transport)
    assert session.endpoint("image") == f"http://127.0.0.1:{cloud.cfg.image.port}"
    token = session.token()
    assert session.token() == token  # cached
    session.invalidate()
    assert session.token() != token
    bad = PasswordSession(
        service_credentials.ServiceCredentials(
            creds.auth_url, creds.username, "wrong", creds.project_name
        ),
        transport=cloud.http_transport,
    )
    with pytest.raises(AuthError, match=r"refused user 'stratus' \(HTTP 401"):
        bad.token()
