"""Regression: a lone UTF-16 surrogate in a string of a JSON body (``"\\ud800x"``, or the bytes
ED A0 80, which ``json.loads`` decodes with ``surrogatepass``) was a 500 on every API that
stores or looks up the string, the unauthenticated token request's user name included.

Such bodies are now a 400 at decoding. Query strings and paths never carried surrogates
(percent-decoding replaces invalid UTF-8 with U+FFFD); a test keeps it that way.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.cloud import Cloud

JSON = {"Content-Type": "application/json"}
ESCAPED = r'"\ud800x"'  # the JSON escape of a lone high surrogate

# (service, path, authenticated, body with %s for the name)
REQUESTS = [
    (
        "identity",
        "/v3/auth/tokens",
        False,
        '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": %s,'
        ' "domain": {"name": "Default"}, "password": "secret"}}}}}',
    ),
    ("identity", "/v3/projects", True, '{"project": {"name": %s}}'),
    ("image", "/v2/images", True, '{"name": %s}'),
    (
        "compute",
        "/v2.1/os-server-groups",
        True,
        '{"server_group": {"name": %s, "policies": ["affinity"]}}',
    ),
    ("network", "/v2.0/networks", True, '{"network": {"name": %s}}'),
]


def message(body: dict[str, Any]) -> str:
    return str(next(iter(body.values()))["message"])


@pytest.mark.parametrize(("service", "path", "auth", "template"), REQUESTS)
def test_escaped_lone_surrogate_is_400(
    cloud: Cloud, service: str, path: str, auth: bool, template: str
) -> None:
    headers = {**JSON, **(cloud.admin_headers() if auth else {})}
    r = cloud.clients[service].post(path, content=template % ESCAPED, headers=headers)
    assert r.status_code == 400, r.text
    assert "unpaired UTF-16 surrogates" in message(r.json())


@pytest.mark.parametrize(("service", "path", "auth", "template"), REQUESTS)
def test_utf8_encoded_surrogate_is_400(
    cloud: Cloud, service: str, path: str, auth: bool, template: str
) -> None:
    headers = {**JSON, **(cloud.admin_headers() if auth else {})}
    raw = (template % '"@x"').encode().replace(b"@", b"\xed\xa0\x80")
    r = cloud.clients[service].post(path, content=raw, headers=headers)
    assert r.status_code == 400, r.text
    assert "not valid UTF-8" in message(r.json())


def test_surrogate_in_a_key_is_400(cloud: Cloud) -> None:
    body = r'{"project": {"name": "p", "\udfff": "x"}}'
    r = cloud.identity.post("/v3/projects", content=body, headers={**JSON, **cloud.admin_headers()})
    assert r.status_code == 400, r.text


def test_a_valid_surrogate_pair_is_a_character(cloud: Cloud) -> None:
    body = r'{"project": {"name": "p-\ud83d\ude00"}}'
    r = cloud.identity.post("/v3/projects", content=body, headers={**JSON, **cloud.admin_headers()})
    assert r.status_code == 201, r.text
    assert r.json()["project"]["name"] == "p-\U0001f600"


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("identity", "/v3/projects"),
        ("image", "/v2/images"),
        ("compute", "/v2.1/servers"),
        ("network", "/v2.0/networks"),
    ],
)
def test_surrogate_bytes_in_query_and_path_are_no_500(
    cloud: Cloud, service: str, path: str
) -> None:
    admin = cloud.admin_headers()
    client = cloud.clients[service]
    assert client.get(f"{path}?name=%ED%A0%80", headers=admin).status_code == 200
    assert client.get(f"{path}/%ED%A0%80", headers=admin).status_code == 404
