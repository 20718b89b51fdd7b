"""The headline guarantee: concurrent boots never over-commit a host, with one scheduler or two.

Two hosts with room for exactly 40 instances of a 1 vCPU / 64 MB / 1 GB flavor: memory
1024 MB x ram ratio 1.5 - 256 MB reserved = 1280 MB = 20 instances each (vCPUs and disk have
plenty of room, so RAM is the filter that says no). 50 concurrent requests must give exactly
40 placements and 10 "No valid host" answers naming RamFilter.
"""

from __future__ import annotations

import threading
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.rpcapi.conductor import ConductorAPI
from stratus.rpcapi.scheduler import NoValidHost, SchedulerAPI
from tests.fixtures.cloud import Cloud
from tests.fixtures.compute_hosts import add_host, add_instance, flavor, spec
from tests.functional.scheduler.helpers import faults, settled, usage_by_host, wait_for

SIZE = {"memory_mb": 1024, "vcpus": 16, "local_gb": 1024}
PER_HOST = 20
REQUESTS = 50


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    from tests.fixtures.cloud import make_config

    return make_config(
        tmp_path / "state",
        db_url,
        compute={"reserved_host_memory_mb": 256},
        fake_driver=dict(SIZE),
        DEFAULT={"rpc_response_timeout": 60},
    )


def _start_schedulers(cloud: Cloud, count: int) -> None:
    from stratus.cmd import scheduler

    for _ in range(count):
        cloud.services.append(scheduler.start(cloud.cfg, cloud.db, cloud.bus))


def _run_threads(n: int, fn: object) -> None:
    threads = [threading.Thread(target=fn, args=(i,)) for i in range(n)]  # type: ignore[arg-type]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def _check_capacity(cloud: Cloud) -> None:
    usage = usage_by_host(cloud.db)
    assert set(usage) == {"h1", "h2"}
    for host, (count, vcpus, memory, disk) in usage.items():
        assert memory <= 1024 * 1.5 - 256, host
        assert vcpus <= 16 * 16 and disk <= 1024, host
        assert count == PER_HOST, (host, usage)


@pytest.mark.parametrize("schedulers", [1, 2])
def test_concurrent_select_destinations(cloud: Cloud, schedulers: int) -> None:
    for host in ("h1", "h2"):
        add_host(cloud.db, host, reserved_memory_mb=256, **SIZE)
    _start_schedulers(cloud, schedulers)
    client = SchedulerAPI(cloud.bus, timeout=60)
    placed: list[str] = []
    refused: list[NoValidHost] = []
    lock = threading.Lock()

    def boot(_i: int) -> None:
        try:
            (sel,) = client.select_destinations(spec(flavor(1, 64, 1)), [str(uuidlib.uuid4())])
            with lock:
                placed.append(sel.host)
        except NoValidHost as error:
            with lock:
                refused.append(error)

    _run_threads(REQUESTS, boot)
    assert len(placed) == 2 * PER_HOST
    assert sorted(set(placed)) == ["h1", "h2"]
    assert len(refused) == REQUESTS - 2 * PER_HOST
    for error in refused:
        assert error.message == (
            "No valid host was found: 2 hosts; RamFilter rejected 2 "
            "(need 64 MB, best host has 0 MB free)"
        )
        assert "h1: 0 MB free" in error.admin_message and "h2: 0 MB free" in error.admin_message
    _check_capacity(cloud)


@pytest.fixture
def fleet(cloud: Cloud, request: pytest.FixtureRequest) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1", "h2"), schedulers=request.param)
    yield cloud


@pytest.mark.parametrize("fleet", [1, 2], indirect=True, ids=["1-scheduler", "2-schedulers"])
def test_concurrent_builds_end_active_or_error_naming_the_filter(fleet: Cloud) -> None:
    cloud = fleet
    wait_for(lambda: len(usage_by_host(cloud.db)) == 2, what="both hosts to report")
    flv = flavor(1, 64, 1)
    uuids = [add_instance(cloud.db, flv) for _ in range(REQUESTS)]
    conductor = ConductorAPI(cloud.bus)

    def boot(i: int) -> None:
        conductor.build_instances([uuids[i]], spec(flv))

    _run_threads(REQUESTS, boot)
    states = wait_for(lambda: settled(cloud.db, uuids), timeout=120, what="all builds")
    active = [u for u, s in states.items() if s == "active"]
    failed = [u for u, s in states.items() if s == "error"]
    assert (len(active), len(failed)) == (2 * PER_HOST, REQUESTS - 2 * PER_HOST)
    for uuid in failed:
        (fault,) = faults(cloud.db, uuid)
        assert fault.message.startswith("No valid host was found: 2 hosts; RamFilter rejected 2")
        assert "h1" not in fault.message
        assert "[h1: 0 MB free" in fault.details or "[h2: 0 MB free" in fault.details
    _check_capacity(cloud)
