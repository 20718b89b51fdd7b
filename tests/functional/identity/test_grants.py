"""Grants on projects, domains and the system, for users and groups."""

from __future__ import annotations

import pytest

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, login, role_id, token_status


@pytest.mark.parametrize("target", ["projects", "domains", "system"])
@pytest.mark.parametrize("actor", ["users", "groups"])
def test_put_head_list_delete(cloud: Cloud, target: str, actor: str) -> None:
    admin = cloud.admin_headers()
    who = create(cloud, actor[:-1], {"name": "who"})
    if target == "system":
        base = f"/v3/system/{actor}/{who['id']}/roles"
    else:
        where = create(cloud, target[:-1], {"name": "where"})
        base = f"/v3/{target}/{where['id']}/{actor}/{who['id']}/roles"
    reader = role_id(cloud, "reader")
    assert cloud.identity.head(f"{base}/{reader}", headers=admin).status_code == 404
    assert cloud.identity.put(f"{base}/{reader}", headers=admin).status_code == 204
    assert cloud.identity.put(f"{base}/{reader}", headers=admin).status_code == 204
    assert cloud.identity.head(f"{base}/{reader}", headers=admin).status_code == 204
    assert cloud.identity.get(f"{base}/{reader}", headers=admin).status_code == 204
    r = cloud.identity.get(base, headers=admin)
    assert r.status_code == 200 and [x["name"] for x in r.json()["roles"]] == ["reader"]
    assert cloud.identity.delete(f"{base}/{reader}", headers=admin).status_code == 204
    assert cloud.identity.delete(f"{base}/{reader}", headers=admin).status_code == 404
    assert cloud.identity.get(base, headers=admin).json()["roles"] == []


def test_unknown_ids_are_404(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    alice = cloud.new_user("p1")
    member = role_id(cloud, "member")
    p, u = alice.project_id, alice.user_id
    cases = {
        f"/v3/projects/nope/users/{u}/roles/{member}": "Could not find project: nope.",
        f"/v3/projects/{p}/users/nope/roles/{member}": "Could not find user: nope.",
        f"/v3/projects/{p}/users/{u}/roles/nope": "Could not find role: nope.",
        f"/v3/domains/nope/users/{u}/roles/{member}": "Could not find domain: nope.",
        f"/v3/projects/{p}/groups/nope/roles/{member}": "Could not find group: nope.",
        f"/v3/system/users/nope/roles/{member}": "Could not find user: nope.",
    }
    for url, message in cases.items():
        r = cloud.identity.put(url, headers=admin)
        assert r.status_code == 404, url
        assert r.json()["error"]["message"] == message


def test_granting_and_revoking_takes_effect_on_tokens(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    u = create(cloud, "user", {"name": "u1", "password": "pw"})
    p = create(cloud, "project", {"name": "p1"})
    url = f"/v3/projects/{p['id']}/users/{u['id']}/roles/{role_id(cloud, 'member')}"
    assert cloud.identity.put(url, headers=admin).status_code == 204
    token = login(cloud, u["id"], "pw", p["id"])
    assert token_status(cloud, token) == 200
    assert cloud.identity.delete(url, headers=admin).status_code == 204
    assert token_status(cloud, token) == 401


def test_member_cannot_grant(cloud: Cloud) -> None:
    alice = cloud.new_user("p1")
    p, u = alice.project_id, alice.user_id
    url = f"/v3/projects/{p}/users/{u}/roles/{role_id(cloud, 'admin')}"
    assert cloud.identity.put(url, headers=alice.headers).status_code == 403
    assert (
        cloud.identity.put(f"/v3/system/users/{u}/roles/x", headers=alice.headers).status_code
        == 403
    )
