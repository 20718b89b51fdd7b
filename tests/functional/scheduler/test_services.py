"""Service records of the control plane: heartbeats, up/down, disabling, ``stratus manage``."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from stratus.cmd import conductor, manage_compute, scheduler
from stratus.common import clock
from stratus.rpcapi.scheduler import NoValidHost, SchedulerAPI
from stratus.services import servicegroup
from tests.fixtures.cloud import Cloud
from tests.fixtures.compute_hosts import add_host, spec
from tests.functional.scheduler.helpers import wait_for


@pytest.fixture
def control(cloud: Cloud) -> Iterator[Cloud]:
    cloud.services.append(conductor.start(cloud.cfg, cloud.db, cloud.bus))
    cloud.services.append(scheduler.start(cloud.cfg, cloud.db, cloud.bus))
    yield cloud
    clock.reset()


def _services(cloud: Cloud) -> dict[str, tuple[str, str, int]]:
    with cloud.db.read() as s:
        return {
            r.binary: (r.host, servicegroup.state(r, cloud.cfg), r.report_count)
            for r in servicegroup.list_services(s)
        }


def test_conductor_and_scheduler_register_and_heartbeat(control: Cloud) -> None:
    found = wait_for(lambda: len(_services(control)) == 2 and _services(control))
    assert found["stratus-conductor"][:2] == ("test-host", "up")
    assert found["stratus-scheduler"][:2] == ("test-host", "up")


def test_heartbeats_repeat_every_report_interval(cloud: Cloud) -> None:
    cloud.cfg.default.report_interval = 1
    cloud.services.append(scheduler.start(cloud.cfg, cloud.db, cloud.bus))
    wait_for(lambda: _services(cloud).get("stratus-scheduler", ("", "", 0))[2] >= 3, timeout=30)


def test_stale_heartbeat_is_down_and_compute_filter_rejects(control: Cloud) -> None:
    add_host(control.db, "h1")
    client = SchedulerAPI(control.bus)
    assert client.select_destinations(spec(), ["a"])[0].host == "h1"
    clock.advance(control.cfg.default.service_down_time + 1)
    with pytest.raises(NoValidHost) as caught:
        client.select_destinations(spec(), ["b"])
    assert caught.value.message == (
        "No valid host was found: 1 host; ComputeFilter rejected 1 (service down)"
    )
    assert "[h1: service down]" in caught.value.admin_message


def test_disabled_compute_service_gets_nothing(control: Cloud) -> None:
    add_host(control.db, "h1", disabled=True)
    add_host(control.db, "h2")
    client = SchedulerAPI(control.bus)
    hosts = {client.select_destinations(spec(), [f"i{n}"])[0].host for n in range(5)}
    assert hosts == {"h2"}
    with control.db.write() as s:
        (h2,) = servicegroup.list_services(s, binary="stratus-compute", host="h2")
        servicegroup.set_disabled(h2, True, "maintenance")
    with pytest.raises(NoValidHost, match=r"ComputeFilter rejected 2 \(service disabled\)"):
        client.select_destinations(spec(), ["x"])


def test_manage_service_and_host_list_and_discover(
    control: Cloud, capsys: pytest.CaptureFixture[str]
) -> None:
    add_host(control.db, "h1", up=False)
    wait_for(lambda: len(_services(control)) == 3)

    def run(command: str, **kw: object) -> str:
        args = argparse.Namespace(manage_command=command, **kw)
        assert manage_compute.run(args, control.cfg) == 0
        return capsys.readouterr().out

    out = run("service", service_command="list", binary=None, host=None)
    lines = out.splitlines()
    assert lines[1].split("|")[1:-1] == [
        f" {h} " if False else h for h in lines[1].split("|")[1:-1]
    ]
    header = [c.strip() for c in lines[1].split("|")[1:-1]]
    assert header == ["Id", "Binary", "Host", "Zone", "Status", "State", "Updated At", "Reason"]
    rows = {c[1]: c for c in ([x.strip() for x in line.split("|")[1:-1]] for line in lines[3:-1])}
    assert rows["stratus-scheduler"][2:6] == ["test-host", "internal", "enabled", "up"]
    assert rows["stratus-compute"][2:6] == ["h1", "nova", "enabled", "down"]
    out = run("service", service_command="list", binary="stratus-compute", host=None)
    assert "stratus-conductor" not in out
    out = run("host", host_command="list")
    assert "| h1        | nova     | stratus-compute" in out
    out = run("cell", cell_command="discover-hosts", verbose=True)
    assert "Compute host h1 (node h1) is mapped" in out
    assert "Found 1 compute host(s)" in out
