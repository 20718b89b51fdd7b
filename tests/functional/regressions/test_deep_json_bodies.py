"""Regression: a JSON body nested 10,000 deep was a 500 on every API, the unauthenticated token
request included (``json.loads`` raised ``RecursionError``).

Bodies nested deeper than 100 levels are now a 400 before they are decoded; 100 levels still
reach the handler where an API takes free-form JSON (Keystone's extra attributes).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.cloud import Cloud

DEEP = "[" * 10_000 + "]" * 10_000
JSON = {"Content-Type": "application/json"}

# (service, path, authenticated, body with %s where the nested value goes)
REQUESTS = [
    ("identity", "/v3/auth/tokens", False, '{"auth": {"identity": %s}}'),
    ("identity", "/v3/projects", True, '{"project": {"name": "p", "x": %s}}'),
    ("image", "/v2/images", True, '{"name": %s}'),
    ("compute", "/v2.1/servers", True, '{"server": {"name": %s}}'),
    ("network", "/v2.0/networks", True, '{"network": {"name": %s}}'),
]


def message(body: dict[str, Any]) -> str:
    """The message of a fault in any envelope (Nova, Keystone, Neutron)."""
    return str(next(iter(body.values()))["message"])


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(("service", "path", "auth", "template"), REQUESTS)
def test_deeply_nested_body_is_400(
    cloud: Cloud, service: str, path: str, auth: bool, template: str
) -> None:
    headers = {**JSON, **(cloud.admin_headers() if auth else {})}
    r = cloud.clients[service].post(path, content=template % DEEP, headers=headers)
    assert r.status_code == 400, r.text
    assert "nested deeper than 100 levels" in message(r.json())


def test_nesting_limit_is_100_levels(cloud: Cloud) -> None:
    headers = {**JSON, **cloud.admin_headers()}
    # the envelope and "project" take two levels
    body = '{"project": {"name": "deep", "extra_data": %s}}'
    r = cloud.identity.post("/v3/projects", content=body % nested(98), headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["project"]["extra_data"] == json.loads(nested(98))
    r = cloud.identity.post("/v3/projects", content=body % nested(99), headers=headers)
    assert r.status_code == 400, r.text


def test_deeply_nested_credential_blob_is_400(cloud: Cloud) -> None:
    """The EC2 credential blob is JSON inside a JSON string: the same limit applies."""
    admin = cloud.admin_headers()
    user = cloud.new_user()
    blob = '{"access": "a", "x": ' + DEEP + "}"
    body = {"type": "ec2", "user_id": user.user_id, "project_id": user.project_id, "blob": blob}
    r = cloud.identity.post("/v3/credentials", json={"credential": body}, headers=admin)
    assert r.status_code == 400, r.text
    assert message(r.json()) == "Invalid blob in credential"
