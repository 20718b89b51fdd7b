"""Regressions found by the schemathesis suite (tests/fuzz): each was a 500 for a bad request.

- ``POST /v3/projects`` with ``"parent_id": ""``: the empty string went to the database as the
  parent's id and broke the foreign key (500); Keystone answers 400 (ids are non-empty).
"""

from __future__ import annotations

from tests.fixtures.cloud import Cloud


def test_project_with_empty_parent_id_is_400(cloud: Cloud) -> None:
    body = {"project": {"name": "fuzz-empty-parent", "parent_id": ""}}
    r = cloud.identity.post("/v3/projects", json=body, headers=cloud.admin_headers())
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == 400
    # NOTE: null still means "no parent" (a top-level project of the domain)
    body = {"project": {"name": "fuzz-null-parent", "parent_id": None}}
    r = cloud.identity.post("/v3/projects", json=body, headers=cloud.admin_headers())
    assert r.status_code == 201, r.text
