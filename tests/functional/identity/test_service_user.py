"""The identity bootstrap's service user ``stratus``: admin and service on project ``service``,
its password only in ``<data dir>/service-credentials`` (0600), kept across bootstraps."""

from __future__ import annotations

import stat

import pytest

from stratus.api import deploy
from stratus.client.auth import AuthError, PasswordSession
from stratus.common import service_credentials
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


def test_service_user_holds_admin_and_service_on_project_service(cloud: Cloud) -> None:
    path = service_credentials.path_of(cloud.cfg)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = _login(cloud)
    assert token["project"]["name"] == "service"  # type: ignore[index]
    roles = {r["name"] for r in token["roles"]}  # type: ignore[attr-defined]
    assert {"admin", "service"} <= roles


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
