"""terminate, rebuild and console output."""

from __future__ import annotations

import pytest
from tests.fixtures.instances import make_instance, make_vif
from tests.unit.compute.conftest import World

from stratus.common.exceptions import Conflict, MessagingTimeout
from stratus.compute.ops.console import tail
from stratus.objects import states as s
from stratus.objects.image import ImageMeta


def test_terminate_destroys_then_tells_the_conductor(world: World) -> None:
    inst = world.conductor.add(make_instance(host="h1", task_state=s.DELETING), [make_vif()])
    world.env("h1")
    world.driver().spawn(inst, None, [])
    world.agents["h1"].terminate_instance(inst)
    assert world.driver().list_instance_uuids() == []
    assert world.conductor.destroyed == [inst.uuid]


def test_terminate_of_a_forgotten_instance_still_cleans_the_hypervisor(world: World) -> None:
    inst = make_instance(host="h1")
    world.env("h1")
    world.driver().spawn(inst, None, [])
    world.agents["h1"].terminate_instance(inst)  # not known to the conductor
    assert world.driver().list_instance_uuids() == []


def test_failed_terminate_is_error_with_fault(world: World) -> None:
    inst = world.conductor.add(
        make_instance(host="h1", task_state=s.DELETING, metadata={"fake:fail_ops": "destroy"})
    )
    world.env("h1")
    world.driver().spawn(inst, None, [])
    world.agents["h1"].terminate_instance(inst)
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.deleted) == (s.ERROR, None, False)
    assert "Failed to delete instance on host h1" in world.conductor.faults[0]["message"]


def test_terminate_that_cannot_reach_the_conductor_stays_deleting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the conductor died with the call: no ERROR for a delete that only lost its messages; the
    # task stays "deleting" for the conductor's stuck-work check, which casts it again
    inst = world.conductor.add(make_instance(host="h1", task_state=s.DELETING), [make_vif()])
    world.env("h1")
    world.driver().spawn(inst, None, [])

    def unreachable(*_args: object) -> None:
        raise MessagingTimeout("No reply to conductor.instance_destroyed within 60.0 s")

    monkeypatch.setattr(world.conductor, "instance_destroyed", unreachable)
    world.agents["h1"].terminate_instance(inst)
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.deleted) == (s.ACTIVE, s.DELETING, False)
    assert world.conductor.faults == []
    monkeypatch.undo()
    world.agents["h1"].terminate_instance(got)  # the stuck-work check's second cast
    assert world.conductor.destroyed == [inst.uuid]


@pytest.mark.parametrize(("before", "after"), [(s.ACTIVE, s.RUNNING), (s.STOPPED, s.SHUTDOWN)])
def test_rebuild(world: World, before: str, after: int) -> None:
    inst = world.conductor.add(make_instance(host="h1", vm_state=before, task_state=s.REBUILDING))
    world.env("h1")
    world.driver().spawn(inst, None, [], power_on=before == s.ACTIVE)
    world.agents["h1"].rebuild_instance(inst, ImageMeta(id="img-2"))
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.image_ref, got.power_state) == (
        before,
        None,
        "img-2",
        after,
    )
    vm = world.driver().vm(inst.uuid)
    assert vm is not None and vm.image_id == "img-2"
    assert got.launched_at is not None


def test_console_output(world: World) -> None:
    inst = world.conductor.add(make_instance(host="h1", hostname="web"))
    world.env("h1")
    world.driver().spawn(inst, None, [])
    full = world.agents["h1"].get_console_output(inst, None)
    assert "web login:" in full
    assert world.agents["h1"].get_console_output(inst, 1) == ""  # the trailing newline
    assert world.agents["h1"].get_console_output(inst, 2) == "[" + full.split("\n[")[-1]
    with pytest.raises(Conflict, match="not running on host h1"):
        world.agents["h1"].get_console_output(make_instance(), None)


def test_tail() -> None:
    assert tail("a\nb\nc", None) == "a\nb\nc"
    assert tail("a\nb\nc", 2) == "b\nc"
    assert tail("a\nb\nc", 0) == ""
    assert tail("a\nb\nc", 10) == "a\nb\nc"
