"""A real compute agent (``stratus.cmd.compute.start``) on the in-process bus, against a
conductor double: what crosses the bus (objects, request ids, errors) really crosses it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stratus.cmd import compute
from stratus.common import config
from stratus.common.context import RequestContext, bound
from stratus.common.exceptions import Conflict
from stratus.messaging.bus import Target
from stratus.messaging.inproc import InProcBus
from stratus.objects import states as s
from stratus.objects.instance import Instance
from stratus.rpcapi.compute import ComputeAPI
from stratus.virt.fake import FakeDriver
from tests.fixtures.conductor_double import ConductorDouble
from tests.fixtures.instances import make_flavor, make_instance, make_vif
from tests.fixtures.waiting import scaled, wait_until


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.cfg = config.load(
            state_path=str(tmp_path / "state"),
            environ={},
            overrides={
                "DEFAULT": {"report_interval": 1, "host": "ctl"},
                "compute": {"virt_driver": "fake"},
            },
        )
        self.bus = InProcBus(f"memory://agent-{uuid.uuid4().hex}")
        self.conductor = ConductorDouble()
        self.server = self.bus.serve(Target("conductor"), self.conductor)
        self.compute = ComputeAPI(self.bus, timeout=scaled(60))
        self.agents: dict[str, compute.ComputeService] = {}

    def start(self, host: str) -> FakeDriver:
        self.agents[host] = compute.start(self.cfg, self.bus, host, "fake")
        driver = self.agents[host].env.driver
        assert isinstance(driver, FakeDriver)
        return driver

    def wait(self, uuid_: str, until: Callable[[Instance], bool], timeout: float = 30) -> Instance:
        def reached() -> Instance | None:
            inst = self.conductor.get(uuid_)
            return inst if until(inst) else None

        return wait_until(reached, timeout, f"instance {uuid_}", step=0.02)

    def close(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        self.server.stop()
        self.bus.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.close()


def _idle(inst: Instance) -> bool:
    return inst.task_state is None


def test_agent_reports_itself_at_start_and_keeps_heartbeating(rig: Rig) -> None:
    rig.start("h1")
    assert rig.conductor.services[("h1", "stratus-compute")] >= 1
    node = rig.conductor.nodes["h1"]
    assert (node.host, node.hypervisor_type, node.vcpus) == ("h1", "fake", 16)
    first = rig.conductor.services[("h1", "stratus-compute")]
    wait_until(  # report_interval is 1 s
        lambda: rig.conductor.services[("h1", "stratus-compute")] >= first + 2,
        30,
        "two more heartbeats",
    )


def test_operations_over_the_bus_record_the_callers_request_id(rig: Rig) -> None:
    driver = rig.start("h1")
    inst = rig.conductor.add(
        make_instance(vm_state=s.BUILDING, task_state=s.SCHEDULING, host="h1"), [make_vif()]
    )
    ctx = RequestContext(request_id="req-boot", user_id="u1", project_id="p1")
    with bound(ctx):
        rig.compute.build_and_run_instance("h1", inst, None, [make_vif()], "h1")
    got = rig.wait(inst.uuid, lambda i: i.vm_state == s.ACTIVE)
    assert got.power_state == s.RUNNING and got.launched_at is not None
    assert driver.list_instance_uuids() == [inst.uuid]

    rig.conductor.set(inst.uuid, task_state=s.POWERING_OFF)
    with bound(RequestContext(request_id="req-stop", user_id="u1", project_id="p1")):
        rig.compute.stop_instance("h1", got)
    rig.wait(inst.uuid, lambda i: i.vm_state == s.STOPPED and _idle(i))
    assert (inst.uuid, "req-boot", "compute_build_and_run_instance", "Success") in (
        rig.conductor.events
    )
    assert (inst.uuid, "req-stop", "compute_stop_instance", "Success") in rig.conductor.events


def test_console_output_is_a_call_and_errors_cross_the_bus(rig: Rig) -> None:
    driver = rig.start("h1")
    inst = rig.conductor.add(make_instance(host="h1", hostname="web"))
    driver.spawn(inst, None, [])
    out = rig.compute.get_console_output("h1", inst, None)
    assert "web login:" in out
    assert rig.compute.get_console_output("h1", inst, 0) == ""
    with pytest.raises(Conflict, match="not running on host h1"):
        rig.compute.get_console_output("h1", make_instance(), None)
    assert "load average" in rig.compute.get_host_uptime("h1")


def test_cross_host_resize_over_the_bus(rig: Rig) -> None:
    from stratus.objects.migration import MigrationRef

    rig.start("h1")
    rig.start("h2")
    inst = rig.conductor.add(make_instance(host="h1", vm_state=s.BUILDING, task_state=s.SCHEDULING))
    rig.compute.build_and_run_instance("h1", inst, None, [], "h1")
    inst = rig.wait(inst.uuid, lambda i: i.vm_state == s.ACTIVE)
    inst = rig.conductor.set(inst.uuid, task_state=s.RESIZE_PREP)
    mig = MigrationRef(
        uuid="mig-1",
        instance_uuid=inst.uuid,
        migration_type="resize",
        status="pre-migrating",
        source_compute="h1",
        dest_compute="h2",
        source_node="h1",
        dest_node="h2",
    )
    big = make_flavor("big", 2, 2048)
    rig.compute.prep_resize("h2", inst, big, mig)
    got = rig.wait(inst.uuid, lambda i: i.vm_state == s.RESIZED)
    assert (got.host, got.flavor.name, got.old_flavor and got.old_flavor.name) == (
        "h2",
        "big",
        "m1.small",
    )
    assert rig.conductor.migrations["mig-1"] == "finished"
    rig.compute.confirm_resize("h1", got, mig)
    rig.wait(inst.uuid, lambda i: i.vm_state == s.ACTIVE)
    assert rig.agents["h1"].env.driver.list_instance_uuids() == []
    assert rig.agents["h2"].env.driver.list_instance_uuids() == [inst.uuid]
    assert rig.conductor.confirmed == [inst.uuid]


def test_restarted_agent_finds_its_guests_gone_and_says_so(rig: Rig) -> None:
    rig.start("h1")
    inst = rig.conductor.add(make_instance(host="h1", vm_state=s.BUILDING, task_state=s.SCHEDULING))
    rig.compute.build_and_run_instance("h1", inst, None, [], "h1")
    rig.wait(inst.uuid, lambda i: i.vm_state == s.ACTIVE)
    rig.agents.pop("h1").stop()
    rig.start("h1")  # a new fake hypervisor: the guest did not survive
    got = rig.conductor.get(inst.uuid)
    assert (got.vm_state, got.power_state) == (s.STOPPED, s.SHUTDOWN)
