"""``GET /v3/role_assignments``: filters, effective expansion, names, links."""

from __future__ import annotations

from typing import Any

from tests.fixtures.cloud import Cloud
from tests.functional.identity.helpers import create, login, role_id


def _list(cloud: Cloud, query: str) -> list[dict[str, Any]]:
    r = cloud.identity.get(f"/v3/role_assignments?{query}", headers=cloud.admin_headers())
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["role_assignments"]
    return rows


def _setup(cloud: Cloud) -> dict[str, Any]:
    admin = cloud.admin_headers()
    u = create(cloud, "user", {"name": "u1"})
    g = create(cloud, "group", {"name": "g1"})
    p = create(cloud, "project", {"name": "p1"})
    sub = create(cloud, "project", {"name": "sub", "parent_id": p["id"]})
    member, reader = role_id(cloud, "member"), role_id(cloud, "reader")
    cloud.identity.put(f"/v3/projects/{p['id']}/users/{u['id']}/roles/{member}", headers=admin)
    cloud.identity.put(f"/v3/projects/{sub['id']}/groups/{g['id']}/roles/{reader}", headers=admin)
    cloud.identity.put(f"/v3/groups/{g['id']}/users/{u['id']}", headers=admin)
    return {"u": u, "g": g, "p": p, "sub": sub, "member": member, "reader": reader}


def test_direct_assignment_shape(cloud: Cloud) -> None:
    s = _setup(cloud)
    rows = _list(cloud, f"user.id={s['u']['id']}")
    assert rows == [
        {
            "role": {"id": s["member"]},
            "user": {"id": s["u"]["id"]},
            "scope": {"project": {"id": s["p"]["id"]}},
            "links": {
                "assignment": f"http://127.0.0.1:5000/v3/projects/{s['p']['id']}/users/{s['u']['id']}/roles/{s['member']}"
            },
        }
    ]
    group_rows = _list(cloud, f"group.id={s['g']['id']}")
    assert (
        group_rows[0]["group"] == {"id": s["g"]["id"]}
        and group_rows[0]["scope"]["project"]["id"] == s["sub"]["id"]
    )


def test_effective_expands_groups_and_implied_roles(cloud: Cloud) -> None:
    s = _setup(cloud)
    rows = _list(cloud, f"user.id={s['u']['id']}&effective")
    got = {(r["role"]["id"], r["scope"]["project"]["id"]) for r in rows}
    assert got == {
        (s["member"], s["p"]["id"]),
        (s["reader"], s["p"]["id"]),
        (s["reader"], s["sub"]["id"]),
    }
    via_group = [r for r in rows if "membership" in r["links"]]
    assert len(via_group) == 1
    assert via_group[0]["links"]["membership"].endswith(
        f"/v3/groups/{s['g']['id']}/users/{s['u']['id']}"
    )
    assert "/groups/" in via_group[0]["links"]["assignment"]
    implied = [r for r in rows if "prior_role" in r["links"]]
    assert len(implied) == 1 and implied[0]["role"]["id"] == s["reader"]


def test_filters(cloud: Cloud) -> None:
    s = _setup(cloud)
    assert {r["role"]["id"] for r in _list(cloud, f"scope.project.id={s['p']['id']}")} == {
        s["member"]
    }
    subtree = _list(cloud, f"scope.project.id={s['p']['id']}&include_subtree=true")
    assert {r["scope"]["project"]["id"] for r in subtree} == {s["p"]["id"], s["sub"]["id"]}
    assert all(r["role"]["id"] == s["reader"] for r in _list(cloud, f"role.id={s['reader']}"))
    system = _list(cloud, "scope.system=all")
    assert system and all(r["scope"] == {"system": {"all": True}} for r in system)
    assert _list(cloud, "scope.domain.id=default") == []


def test_include_names(cloud: Cloud) -> None:
    s = _setup(cloud)
    row = _list(cloud, f"user.id={s['u']['id']}&include_names=true")[0]
    assert row["role"] == {"id": s["member"], "name": "member"}
    assert row["user"] == {
        "id": s["u"]["id"],
        "name": "u1",
        "domain": {"id": "default", "name": "Default"},
    }
    assert row["scope"]["project"] == {
        "id": s["p"]["id"],
        "name": "p1",
        "domain": {"id": "default", "name": "Default"},
    }


def test_inherited_domain_assignment(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    u = create(cloud, "user", {"name": "u1"})
    d = create(cloud, "domain", {"name": "d1"})
    p = create(cloud, "project", {"name": "p", "domain_id": d["id"]})
    reader = role_id(cloud, "reader")
    url = f"/v3/OS-INHERIT/domains/{d['id']}/users/{u['id']}/roles/{reader}/inherited_to_projects"
    assert cloud.identity.put(url, headers=admin).status_code == 204
    raw = _list(cloud, f"user.id={u['id']}")
    assert raw[0]["scope"] == {"domain": {"id": d["id"]}, "OS-INHERIT:inherited_to": "projects"}
    eff = _list(cloud, f"user.id={u['id']}&effective")
    assert [r["scope"] for r in eff] == [{"project": {"id": p["id"]}}]
    assert eff[0]["links"]["assignment"].endswith("/inherited_to_projects")


def test_bad_combinations_are_400_and_member_403(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    for query in (
        "user.id=a&group.id=b",
        "scope.project.id=a&scope.domain.id=b",
        "group.id=a&effective",
        "include_subtree=true",
        "scope.system=some",
        "effective=maybe",
    ):
        assert (
            cloud.identity.get(f"/v3/role_assignments?{query}", headers=admin).status_code == 400
        ), query
    assert (
        cloud.identity.get("/v3/role_assignments", headers=cloud.demo_headers()).status_code == 403
    )


def test_inherited_project_assignment_reaches_subtree(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    u = create(cloud, "user", {"name": "u1", "password": "pw"})
    root = create(cloud, "project", {"name": "root"})
    leaf = create(cloud, "project", {"name": "leaf", "parent_id": root["id"]})
    member = role_id(cloud, "member")
    base = f"/v3/OS-INHERIT/projects/{root['id']}/users/{u['id']}/roles/{member}"
    url = base + "/inherited_to_projects"
    assert cloud.identity.put(url, headers=admin).status_code == 204
    assert cloud.identity.head(url, headers=admin).status_code == 204
    eff = _list(cloud, f"user.id={u['id']}&effective&role.id={member}")
    assert [r["scope"]["project"]["id"] for r in eff] == [leaf["id"]]
    projects = cloud.identity.get(f"/v3/users/{u['id']}/projects", headers=admin).json()["projects"]
    assert [p["id"] for p in projects] == [leaf["id"]]
    token = login(cloud, u["id"], "pw", leaf["id"])
    assert token
    assert cloud.identity.delete(url, headers=admin).status_code == 204
