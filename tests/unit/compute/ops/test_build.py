"""build_and_run_instance: ACTIVE on success; on failure nothing left and the conductor told."""

from __future__ import annotations

from tests.fixtures.instances import make_instance, make_vif
from tests.unit.compute.conftest import World

from stratus.objects import states as s


def _building(world: World, **kw: object):  # type: ignore[no-untyped-def]
    inst = make_instance(vm_state=s.BUILDING, task_state=s.SCHEDULING, host="h1", **kw)
    return world.conductor.add(inst, [make_vif()])


def test_build_goes_active_and_records_the_event(world: World, user_request) -> None:  # type: ignore[no-untyped-def]
    inst = _building(world)
    world.env("h1")
    with user_request():
        world.agents["h1"].build_and_run_instance(inst, None, [make_vif()], "h1")
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.power_state) == (s.ACTIVE, None, s.RUNNING)
    assert got.launched_at is not None and got.node == "h1"
    assert world.driver("h1").list_instance_uuids() == [inst.uuid]
    assert world.conductor.events == [
        (inst.uuid, "req-test", "compute_build_and_run_instance", "start"),
        (inst.uuid, "req-test", "compute_build_and_run_instance", "Success"),
    ]
    # it went through SPAWNING on the way
    assert world.conductor.updates[0][1]["task_state"] == s.SPAWNING


def test_failed_build_leaves_nothing_and_asks_for_a_reschedule(world: World, user_request) -> None:  # type: ignore[no-untyped-def]
    inst = _building(world, metadata={"fake:fail_build": "h1"})
    world.env("h1")
    with user_request():
        world.agents["h1"].build_and_run_instance(inst, None, [], "h1")
    assert world.driver("h1").list_instance_uuids() == []
    [(uuid, host, reason)] = world.conductor.build_failures
    assert (uuid, host) == (inst.uuid, "h1")
    assert "Failed to build instance on host h1" in reason
    assert "build failure injected for host h1" in reason
    assert world.conductor.events[-1][3] == "Error"
    # the conductor owns the instance now: the agent does not put it into ERROR itself
    assert world.conductor.get(inst.uuid).vm_state == s.BUILDING


def test_build_of_an_instance_being_deleted_does_nothing(world: World) -> None:
    inst = _building(world)
    world.conductor.set(inst.uuid, task_state=s.DELETING)
    world.env("h1")
    world.agents["h1"].build_and_run_instance(inst, None, [], "h1")
    assert world.driver("h1").list_instance_uuids() == []
    assert world.conductor.build_failures == []
    assert world.conductor.get(inst.uuid).task_state == s.DELETING


def test_delete_during_spawn_wins(world: World) -> None:
    inst = _building(world)
    env = world.env("h1")
    real_spawn = env.driver.spawn

    def spawn_then_user_deletes(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_spawn(*args, **kwargs)
        world.conductor.set(inst.uuid, task_state=s.DELETING)

    env.driver.spawn = spawn_then_user_deletes  # type: ignore[method-assign]
    world.agents["h1"].build_and_run_instance(inst, None, [], "h1")
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state) == (s.BUILDING, s.DELETING)
    assert world.conductor.faults == [] and world.conductor.build_failures == []
    world.agents["h1"].terminate_instance(got)
    assert world.driver("h1").list_instance_uuids() == []
    assert world.conductor.destroyed == [inst.uuid]


def test_gone_instance_is_ignored(world: World) -> None:
    inst = make_instance(vm_state=s.BUILDING, task_state=s.SCHEDULING)
    world.env("h1")
    world.agents["h1"].build_and_run_instance(inst, None, [], "h1")  # never added: NotFound
    assert world.driver("h1").list_instance_uuids() == []
