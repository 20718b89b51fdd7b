"""Quota is claimed in the create transaction: concurrent creates can never exceed it.

Runs on SQLite and, with ``STRATUS_TEST_DB_URL`` set, on PostgreSQL (where the project lock is a
``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.functional.compute.servers_helpers import (
    server_body,
)


def test_twenty_concurrent_creates_with_quota_five(cloud, member, image_id):
    admin = cloud.admin_headers()
    r = cloud.compute.put(
        f"/v2.1/os-quota-sets/{member.project_id}",
        json={"quota_set": {"instances": 5}},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    start = threading.Barrier(20)

    def create(i: int) -> int:
        start.wait()
        r = cloud.compute.post(
            "/v2.1/servers", json=server_body(image_id, name=f"race-{i}"), headers=member.headers
        )
        assert r.status_code in (202, 403), r.text
        if r.status_code == 403:
            assert "Quota exceeded for instances" in r.json()["forbidden"]["message"]
        return r.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(create, range(20)))
    assert codes.count(202) == 5
    assert codes.count(403) == 15
    listed = cloud.compute.get("/v2.1/servers", headers=member.headers).json()["servers"]
    assert len(listed) == 5


def test_cores_quota_counts_every_flavor(cloud, member, image_id):
    admin = cloud.admin_headers()
    cloud.compute.put(
        f"/v2.1/os-quota-sets/{member.project_id}",
        json={"quota_set": {"cores": 4, "instances": 50}},
        headers=admin,
    )
    start = threading.Barrier(10)

    def create(i: int) -> int:
        start.wait()
        # m1.medium has 2 vCPUs: at most two fit into 4 cores
        body = server_body(image_id, flavor="3", name=f"cores-{i}")
        return int(
            cloud.compute.post("/v2.1/servers", json=body, headers=member.headers).status_code
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(create, range(10)))
    assert codes.count(202) == 2
    assert codes.count(403) == 8
