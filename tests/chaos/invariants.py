"""The invariants every fault test checks once its servers have settled, through the API and
straight in the database: nothing lost or duplicated, nothing leaked, nothing stuck."""

from __future__ import annotations

import collections
from typing import Any

import httpx
import sqlalchemy as sa

from tests.chaos.evidence import describe
from tests.chaos.workload import Endpoints, Wave, list_servers

FINISHED_MIGRATIONS = ("confirmed", "reverted", "error", "failed", "done", "completed")


def _db_rows(db_url: str, sql: str) -> list[sa.Row[Any]]:
    engine = sa.create_engine(db_url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def busy_instances(db_url: str) -> int:
    """Live instances building or with a task: what a fault at this moment can hit."""
    rows = _db_rows(
        db_url,
        "SELECT count(*) FROM instances WHERE NOT deleted"
        " AND (vm_state = 'building' OR task_state IS NOT NULL)",
    )
    return int(rows[0][0])


def check(
    client: httpx.Client,
    p: Endpoints,
    db_url: str,
    wave: Wave,
    deleted: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    """Every violation found (empty: all hold). ``deleted``: ids the test deleted."""
    servers = list_servers(client, p, wave.prefix)
    problems = _identity(servers, wave, deleted, db_url)
    problems += _faults(client, p, servers)
    live = _db_rows(
        db_url,
        "SELECT uuid, display_name, vm_state, task_state, project_id FROM instances"
        " WHERE NOT deleted",
    )
    ours = {r[0] for r in live if str(r[1]).startswith(wave.prefix)}
    api_ids = {s["id"] for s in servers}
    if ours != api_ids:
        problems.append(
            f"API and DB disagree: only in DB {sorted(ours - api_ids)}, only in API "
            f"{sorted(api_ids - ours)}"
        )
    problems += [f"{r[1]} {r[0][:8]} has task_state {r[3]} in the DB" for r in live if r[3]]
    live_ids = {r[0] for r in live}
    problems += _allocations(db_url, live_ids, servers)
    problems = [_with_evidence(db_url, v, servers) for v in problems]
    problems += _ports(db_url, live_ids, servers)
    problems += _quotas(client, p, live)
    return problems


def _identity(
    servers: list[dict[str, Any]], wave: Wave, deleted: set[str], db_url: str
) -> list[str]:
    problems = []
    names = collections.Counter(s["name"] for s in servers)
    problems += [f"{n} duplicated ({c} servers)" for n, c in names.items() if c > 1]
    listed = {s["id"] for s in servers}
    for name, sid in wave.accepted.items():
        if sid not in listed and sid not in deleted:
            problems.append(
                f"{name} {sid} lost (202 returned, server gone) {describe(db_url, sid)}"
            )
        if sid in listed and sid in deleted:
            problems.append(f"{name} {sid[:8]} still exists after its delete")
    accepted_ids = set(wave.accepted.values())
    strays = [s for s in servers if s["id"] not in accepted_ids and s["name"] not in wave.lost]
    problems += [f"{s['name']} {s['id'][:8]} exists but was never requested" for s in strays]
    return problems


def _faults(client: httpx.Client, p: Endpoints, servers: list[dict[str, Any]]) -> list[str]:
    problems = []
    for s in servers:
        if s["status"] == "ERROR" and not (s.get("fault") or {}).get("message"):
            problems.append(f"{s['name']} {s['id'][:8]} ERROR without a fault message")
    return problems


def _allocations(db_url: str, live_ids: set[str], servers: list[dict[str, Any]]) -> list[str]:
    allocs = _db_rows(db_url, "SELECT consumer_uuid, compute_node_id FROM allocations")
    migrations = {
        r[0]: (r[1], r[2])
        for r in _db_rows(db_url, "SELECT uuid, status, instance_uuid FROM migrations")
    }
    problems = []
    per_consumer = collections.Counter(a[0] for a in allocs)
    for consumer in per_consumer:
        if consumer in live_ids:
            continue
        mig = migrations.get(consumer)
        if mig is None:
            problems.append(f"allocation of {consumer[:8]}: no live instance or migration (leak)")
        elif mig[0] in FINISHED_MIGRATIONS or mig[1] not in live_ids:
            problems.append(f"allocation of migration {consumer[:8]} ({mig[0]}) not released")
    for s in servers:
        if s["status"] == "ACTIVE" and per_consumer[s["id"]] != 1:
            problems.append(
                f"{s['name']} {s['id']} ACTIVE on {s['OS-EXT-SRV-ATTR:host']} with "
                f"{per_consumer[s['id']]} allocations"
            )
    return problems


def _ports(db_url: str, live_ids: set[str], servers: list[dict[str, Any]]) -> list[str]:
    ports = _db_rows(db_url, "SELECT id, device_id FROM ports WHERE device_owner LIKE 'compute:%'")
    problems = [
        f"port {r[0][:8]} bound to {r[1][:8]} which is gone (leak)"
        for r in ports
        if r[1] not in live_ids
    ]
    owners = {r[1] for r in ports}
    problems += [
        f"{s['name']} {s['id'][:8]} ACTIVE without a port"
        for s in servers
        if s["status"] == "ACTIVE" and s["id"] not in owners
    ]
    return problems


def _quotas(client: httpx.Client, p: Endpoints, live: list[sa.Row[Any]]) -> list[str]:
    problems = []
    for project in {r[4] for r in live} | {_admin_project(client, p)}:
        r = client.get(p.url("compute", f"/v2.1/os-quota-sets/{project}/detail"))
        r.raise_for_status()
        used = {k: v["in_use"] for k, v in r.json()["quota_set"].items() if isinstance(v, dict)}
        r = client.get(
            p.url("compute", "/v2.1/servers/detail"),
            params={"all_tenants": "1", "project_id": project},
        )
        r.raise_for_status()
        mine = r.json()["servers"]
        real = {
            "instances": len(mine),
            "cores": sum(s["flavor"]["vcpus"] for s in mine),
            "ram": sum(s["flavor"]["ram"] for s in mine),
        }
        for k, v in real.items():
            if used.get(k) != v:
                problems.append(
                    f"quota {k} in_use {used.get(k)} but {v} live (project {project[:8]})"
                )
    return problems


def _admin_project(client: httpx.Client, p: Endpoints) -> str:
    r = client.get(
        p.url("identity", "/v3/auth/tokens"),
        headers={"X-Subject-Token": client.headers["X-Auth-Token"]},
    )
    r.raise_for_status()
    return str(r.json()["token"]["project"]["id"])


def _with_evidence(db_url: str, violation: str, servers: list[dict[str, Any]]) -> str:
    """``violation`` with the database's account of the server it names (by full id)."""
    for s in servers:
        if s["id"] in violation:
            return f"{violation} {describe(db_url, s['id'])}"
    return violation
