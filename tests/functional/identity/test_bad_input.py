"""Bad input anywhere in the identity API is a 400 with Keystone's error body, never a 500."""

from __future__ import annotations

import pytest

from tests.fixtures.cloud import Cloud

CASES = [
    ("POST", "/v3/projects", {"project": {}}),
    ("POST", "/v3/projects", {"project": {"name": ""}}),
    ("POST", "/v3/projects", {"project": {"name": "x" * 65}}),
    ("POST", "/v3/projects", {"project": {"name": "p", "enabled": "yes"}}),
    ("POST", "/v3/projects", {"project": {"name": "p", "tags": ["a/b"]}}),
    ("POST", "/v3/projects", {"name": "p"}),
    ("POST", "/v3/domains", {"domain": {"name": "   "}}),
    ("POST", "/v3/domains", {"domain": {"name": "d", "enabled": 1}}),
    ("POST", "/v3/users", {"user": {"name": "x" * 256}}),
    ("POST", "/v3/users", {"user": {"name": "u", "password": 42}}),
    ("PATCH", "/v3/users/{admin_id}", {"user": {}}),
    ("PATCH", "/v3/users/{admin_id}", {"user": {"domain_id": "other"}}),
    ("POST", "/v3/groups", {"group": {"name": None}}),
    ("POST", "/v3/roles", {"role": {"name": 7}}),
    ("POST", "/v3/roles", {"role": {}}),
    ("POST", "/v3/services", {"service": {"name": "nova"}}),
    ("POST", "/v3/services", {"service": {"type": "compute", "enabled": "true"}}),
    ("POST", "/v3/endpoints", {"endpoint": {"interface": "public", "url": "http://x"}}),
    (
        "POST",
        "/v3/endpoints",
        {"endpoint": {"service_id": "s", "interface": "public", "url": "not a url"}},
    ),
    ("POST", "/v3/regions", {"region": {"description": 5}}),
    ("POST", "/v3/credentials", {"credential": {"type": "x", "blob": "y"}}),
    ("POST", "/v3/credentials", {"credential": {"type": "x", "blob": 1, "user_id": "u"}}),
    ("POST", "/v3/users/{admin_id}/password", {"user": {"password": "x"}}),
    (
        "POST",
        "/v3/users/{admin_id}/application_credentials",
        {"application_credential": {"name": "a", "bogus": 1}},
    ),
    (
        "POST",
        "/v3/users/{admin_id}/application_credentials",
        {"application_credential": {"name": "a", "roles": "admin"}},
    ),
    ("PUT", "/v3/projects/{admin_project}/tags", {"tags": "a"}),
]


@pytest.mark.parametrize(("method", "path", "body"), CASES)
def test_bad_bodies_are_400(cloud: Cloud, method: str, path: str, body: object) -> None:
    admin = cloud.admin_headers()
    ids = cloud.identity.get(
        "/v3/auth/tokens", headers={**admin, "X-Subject-Token": admin["X-Auth-Token"]}
    ).json()
    url = path.format(
        admin_id=ids["token"]["user"]["id"], admin_project=ids["token"]["project"]["id"]
    )
    r = cloud.identity.request(method, url, json=body, headers=admin)
    assert r.status_code == 400, (method, path, body, r.text)
    error = r.json()["error"]
    assert error["code"] == 400 and error["title"] == "Bad Request" and error["message"]


@pytest.mark.parametrize("path", ["/v3/projects", "/v3/users", "/v3/roles", "/v3/domains"])
def test_malformed_json_is_400(cloud: Cloud, path: str) -> None:
    headers = {**cloud.admin_headers(), "Content-Type": "application/json"}
    assert cloud.identity.post(path, content=b"{nope", headers=headers).status_code == 400


@pytest.mark.parametrize(
    "query", ["/v3/projects?enabled=perhaps", "/v3/users?enabled=2", "/v3/domains?enabled=x"]
)
def test_bad_boolean_filters_are_400(cloud: Cloud, query: str) -> None:
    assert cloud.identity.get(query, headers=cloud.admin_headers()).status_code == 400


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/v3/projects/nope", "project"),
        ("/v3/users/nope", "user"),
        ("/v3/groups/nope", "group"),
        ("/v3/roles/nope", "role"),
        ("/v3/domains/nope", "domain"),
        ("/v3/services/nope", "service"),
        ("/v3/endpoints/nope", "endpoint"),
        ("/v3/regions/nope", "region"),
        ("/v3/credentials/nope", "credential"),
    ],
)
def test_unknown_ids_are_404_keystone_style(cloud: Cloud, path: str, kind: str) -> None:
    r = cloud.identity.get(path, headers=cloud.admin_headers())
    assert r.status_code == 404
    assert r.json()["error"]["message"] == f"Could not find {kind}: nope."
