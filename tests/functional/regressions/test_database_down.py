"""Regression: with the database down every API answered a bare 500 ("unexpected error").

Now each answers 503 in its own fault envelope, says the database is unavailable, and tells
the client when to retry (``Retry-After``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.fixtures.cloud import Cloud

MESSAGE = "The database is unavailable; try again later."


@pytest.fixture
def db_down(cloud: Cloud) -> Iterator[dict[str, str]]:
    """The cloud's database refuses every new connection; yields admin headers got before."""
    headers = cloud.admin_headers()
    if cloud.db.backend != "sqlite":
        pytest.skip("simulates the outage with SQLite's driver error")

    def refuse(*_args: Any) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    event.listen(cloud.db.engine, "do_connect", refuse)
    cloud.db.engine.dispose()  # NOTE: pooled connections would otherwise still work
    yield headers
    event.remove(cloud.db.engine, "do_connect", refuse)


def _password_auth(cloud: Cloud) -> dict[str, Any]:
    user = {"name": "admin", "domain": {"name": "Default"}, "password": cloud.admin_password}
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}}}


def _assert_503(r: Any, style: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["Retry-After"] == "5"
    body = r.json()
    if style == "keystone":
        assert body == {"error": {"code": 503, "message": MESSAGE, "title": "Service Unavailable"}}
    elif style == "neutron":
        assert body["NeutronError"]["type"] == "ServiceUnavailable"
        assert body["NeutronError"]["message"] == MESSAGE
    else:
        assert body == {"serviceUnavailable": {"code": 503, "message": MESSAGE}}


REQUESTS = [
    ("identity", "GET", "/v3/projects", "keystone"),
    ("identity", "GET", "/v3/auth/tokens", "keystone"),  # token validation
    ("compute", "GET", "/v2.1/servers", "nova"),
    ("compute", "GET", "/v2.1/flavors/detail", "nova"),
    ("image", "GET", "/v2/images", "nova"),
    ("network", "GET", "/v2.0/networks", "neutron"),
]


@pytest.mark.parametrize(("service", "method", "path", "style"), REQUESTS)
def test_database_down_is_503(
    cloud: Cloud, db_down: dict[str, str], service: str, method: str, path: str, style: str
) -> None:
    headers = {**db_down, "X-Subject-Token": db_down["X-Auth-Token"]}
    r = cloud.clients[service].request(method, path, headers=headers)
    _assert_503(r, style)


def test_login_with_database_down_is_503(cloud: Cloud, db_down: dict[str, str]) -> None:
    r = cloud.identity.post("/v3/auth/tokens", json=_password_auth(cloud))
    _assert_503(r, "keystone")


def test_create_server_with_database_down_is_503(cloud: Cloud, db_down: dict[str, str]) -> None:
    body = {"server": {"name": "vm", "imageRef": "x", "flavorRef": "1"}}
    r = cloud.compute.post("/v2.1/servers", json=body, headers=db_down)
    _assert_503(r, "nova")


def test_the_apis_recover_when_the_database_is_back(cloud: Cloud) -> None:
    headers = cloud.admin_headers()

    def refuse(*_args: Any) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    if cloud.db.backend != "sqlite":
        pytest.skip("simulates the outage with SQLite's driver error")
    event.listen(cloud.db.engine, "do_connect", refuse)
    cloud.db.engine.dispose()
    assert cloud.compute.get("/v2.1/servers", headers=headers).status_code == 503
    event.remove(cloud.db.engine, "do_connect", refuse)
    assert cloud.compute.get("/v2.1/servers", headers=headers).status_code == 200
