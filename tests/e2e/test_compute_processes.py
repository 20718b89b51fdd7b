"""The control plane as separate processes over a real RabbitMQ and PostgreSQL.

``stratus api``, ``conductor``, two ``scheduler``s and two ``stratus compute --virt fake`` agents
share nothing but the bus and the database (the agents not even the database). Servers land on
both hosts; a snapshot travels from an agent to the image API over real HTTP; killing one agent
makes it ``down`` within ``service_down_time`` and new servers go to the other one; 50 concurrent
boots onto room for exactly 40 never over-commit, with two scheduler processes claiming at once.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import (
    DOWN_TIME,
    MV,
    Processes,
    boot,
    post_server,
    service_states,
    settled,
    start_api,
    token,
    until,
    upload_image,
)

pytestmark = [pytest.mark.e2e, pytest.mark.rabbit, pytest.mark.postgres]

# Each fake host: 1024 MB x ram_allocation_ratio 1.5 - 256 MB reserved = 1280 MB = 20 x 64 MB.
SMALL_HOST = {
    "STRATUS_FAKE_DRIVER__MEMORY_MB": "1024",
    "STRATUS_COMPUTE__RESERVED_HOST_MEMORY_MB": "256",
}


@pytest.fixture
def procs(tmp_path: Path, rabbit_url: str, postgres_database: str) -> Iterator[Processes]:
    p = Processes(tmp_path, rabbit_url, postgres_database)
    p.env.update(STRATUS_QUOTA__INSTANCES="-1", STRATUS_QUOTA__CORES="-1", STRATUS_QUOTA__RAM="-1")
    try:
        yield p
    finally:
        p.stop_all()


def _start_control_plane(p: Processes, compute_env: dict[str, str] | None = None) -> None:
    start_api(p)
    p.start("conductor", "conductor")
    p.start("scheduler-1", "scheduler")
    p.start("scheduler-2", "scheduler", env={"STRATUS_HOST": "controller-2"})
    p.start("h1", "compute", "--host", "h1", "--virt", "fake", env=compute_env)
    p.start("h2", "compute", "--host", "h2", "--virt", "fake", env=compute_env)


def test_processes_over_rabbitmq_and_postgresql(procs: Processes) -> None:
    p = procs
    _start_control_plane(p)
    headers = {"X-Auth-Token": token(p), **MV}
    with httpx.Client(headers=headers, timeout=30) as client:
        until(lambda: service_states(client, p) == {"h1": "up", "h2": "up"}, 60, "both agents up")
        image_id = upload_image(client, p)
        hosts = [boot(client, p, image_id, f"s{n}")["OS-EXT-SRV-ATTR:host"] for n in range(4)]
        assert set(hosts) == {"h1", "h2"}, f"servers should spread over both hosts: {hosts}"

        r = client.post(
            p.url("compute", f"/v2.1/servers/{_first_on(client, p, 'h1')}/action"),
            json={"createImage": {"name": "snap"}},
        )
        assert r.status_code == 202, r.text
        snap = r.json()["image_id"]
        until(
            lambda: client.get(p.url("image", f"/v2/images/{snap}")).json()["status"] == "active",
            60,
            "the snapshot image",
        )

        p.procs["h1"].kill()  # no goodbye: the heartbeats just stop
        until(lambda: service_states(client, p)["h1"] == "down", DOWN_TIME + 60, "h1 down")
        after = {boot(client, p, image_id, f"after-{n}")["OS-EXT-SRV-ATTR:host"] for n in range(3)}
        assert after == {"h2"}
    codes = p.stop_all()
    for name in ("api", "conductor", "scheduler-1", "scheduler-2", "h2"):
        assert codes[name] == 0, f"{name} exited with {codes[name]}:\n{p.log(name)}"
    assert "this process must not open the database" not in p.log("h2")


def _first_on(client: httpx.Client, p: Processes, host: str) -> str:
    r = client.get(p.url("compute", "/v2.1/servers/detail"))
    return next(s["id"] for s in r.json()["servers"] if s["OS-EXT-SRV-ATTR:host"] == host)


def test_fifty_concurrent_boots_onto_room_for_forty(procs: Processes) -> None:
    p = procs
    _start_control_plane(p, compute_env=SMALL_HOST)
    headers = {"X-Auth-Token": token(p), **MV}
    with httpx.Client(headers=headers, timeout=60) as client:
        until(lambda: service_states(client, p) == {"h1": "up", "h2": "up"}, 60, "both agents up")
        r = client.post(
            p.url("compute", "/v2.1/flavors"),
            json={"flavor": {"name": "m1.nano", "id": "0", "vcpus": 1, "ram": 64, "disk": 1}},
        )
        assert r.status_code == 200, r.text
        image_id = upload_image(client, p)
        with cf.ThreadPoolExecutor(10) as pool:
            ids = list(
                pool.map(lambda n: post_server(client, p, image_id, f"c{n}", "0"), range(50))
            )
            servers = list(pool.map(lambda sid: settled(client, p, sid, timeout=180), ids))
    active = [s for s in servers if s["status"] == "ACTIVE"]
    failed = [s for s in servers if s["status"] == "ERROR"]
    assert (len(active), len(failed)) == (40, 10), [s.get("fault") for s in failed]
    for s in failed:
        assert "RamFilter rejected 2" in s["fault"]["message"], s["fault"]
    per_host = {h: sum(1 for s in active if s["OS-EXT-SRV-ATTR:host"] == h) for h in ("h1", "h2")}
    assert per_host == {"h1": 20, "h2": 20}, per_host
    with httpx.Client(headers=headers, timeout=30) as client:
        for hv in client.get(p.url("compute", "/v2.1/os-hypervisors/detail")).json()["hypervisors"]:
            assert hv["memory_mb_used"] <= 1024 * 1.5, hv
