"""The resize relay on one host and across two, confirm and revert, and its failures."""

from __future__ import annotations

from tests.fixtures.instances import make_flavor, make_instance
from tests.unit.compute.conftest import World

from stratus.objects import states as s
from stratus.objects.instance import Instance
from stratus.objects.migration import MigrationRef

OLD = make_flavor("small", 1, 512)
NEW = make_flavor("big", 2, 1024)


def _start(world: World, source: str, dest: str, **kw: object) -> tuple[Instance, MigrationRef]:
    world.env(source), world.env(dest)
    inst = make_instance(host=source, node=source, flavor=OLD, power_state=s.RUNNING, **kw)
    world.conductor.add(inst)
    world.driver(source).spawn(inst, None, [], power_on=inst.vm_state != s.STOPPED)
    inst = world.conductor.set(inst.uuid, task_state=s.RESIZE_PREP)
    mig = MigrationRef(
        uuid=f"mig-{inst.uuid[:8]}",
        instance_uuid=inst.uuid,
        migration_type="resize",
        status="pre-migrating",
        source_compute=source,
        dest_compute=dest,
        source_node=source,
        dest_node=dest,
    )
    return inst, mig


def _resize(world: World, source: str, dest: str, **kw: object) -> tuple[Instance, MigrationRef]:
    inst, mig = _start(world, source, dest, **kw)
    world.agents[dest].prep_resize(inst, NEW, mig)
    steps = world.pump()
    assert steps == [f"resize_instance@{source}", f"finish_resize@{dest}"]
    return world.conductor.get(inst.uuid), mig


def test_same_host_resize_waits_for_verification(world: World) -> None:
    inst, mig = _resize(world, "h1", "h1")
    assert (inst.vm_state, inst.task_state) == (s.RESIZED, None)
    assert inst.flavor == NEW and inst.old_flavor == OLD and inst.new_flavor == NEW
    assert world.driver("h1").get_info(inst).memory_mb == 1024
    assert world.conductor.migrations[mig.uuid] == "finished"


def test_same_host_confirm(world: World) -> None:
    inst, mig = _resize(world, "h1", "h1")
    world.agents["h1"].confirm_resize(inst, mig)
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.flavor) == (s.ACTIVE, None, NEW)
    assert got.old_flavor is None and got.new_flavor is None
    assert world.conductor.confirmed == [inst.uuid]
    assert world.driver("h1").get_info(got).memory_mb == 1024


def test_same_host_revert(world: World) -> None:
    inst, mig = _resize(world, "h1", "h1")
    inst = world.conductor.set(inst.uuid, task_state=s.RESIZE_REVERTING)
    world.agents["h1"].revert_resize(inst, mig)
    assert world.pump() == ["finish_revert_resize@h1"]
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.flavor, got.host) == (s.ACTIVE, None, OLD, "h1")
    assert world.driver("h1").get_info(got).memory_mb == 512
    assert world.driver("h1").get_info(got).power_state == s.RUNNING
    assert world.conductor.reverted == [inst.uuid]


def test_cross_host_confirm_removes_the_source_copy(world: World) -> None:
    inst, mig = _resize(world, "h1", "h2")
    assert (inst.host, inst.node) == ("h2", "h2")
    assert world.driver("h2").get_info(inst).power_state == s.RUNNING
    assert world.driver("h1").get_info(inst).power_state == s.SHUTDOWN  # kept for a revert
    world.agents["h1"].confirm_resize(inst, mig)
    assert world.driver("h1").list_instance_uuids() == []
    assert world.conductor.get(inst.uuid).vm_state == s.ACTIVE


def test_cross_host_revert_goes_back_to_the_source(world: World) -> None:
    inst, mig = _resize(world, "h1", "h2")
    inst = world.conductor.set(inst.uuid, task_state=s.RESIZE_REVERTING)
    world.agents["h2"].revert_resize(inst, mig)
    assert world.pump() == ["finish_revert_resize@h1"]
    got = world.conductor.get(inst.uuid)
    assert (got.host, got.vm_state, got.flavor) == ("h1", s.ACTIVE, OLD)
    assert world.driver("h2").list_instance_uuids() == []
    assert world.driver("h1").get_info(got).power_state == s.RUNNING


def test_resize_of_a_stopped_instance_stays_stopped(world: World) -> None:
    inst, mig = _resize(world, "h1", "h2", vm_state=s.STOPPED)
    assert (inst.vm_state, inst.power_state) == (s.RESIZED, s.SHUTDOWN)
    world.agents["h1"].confirm_resize(inst, mig)
    assert world.conductor.get(inst.uuid).vm_state == s.STOPPED


def test_prep_failure_goes_back_to_active(world: World) -> None:
    world.cfg.compute.allow_resize_to_same_host = False
    inst, mig = _start(world, "h1", "h1")
    world.agents["h1"].prep_resize(inst, NEW, mig)
    assert world.pump() == []
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state, got.flavor, got.new_flavor) == (
        s.ACTIVE,
        None,
        OLD,
        None,
    )
    assert world.conductor.migrations[mig.uuid] == "error"
    assert "allow_resize_to_same_host" in world.conductor.faults[0]["message"]


def test_source_failure_is_error(world: World) -> None:
    inst, mig = _start(world, "h1", "h2", metadata={"fake:fail_ops": "migrate_disk_and_power_off"})
    world.agents["h2"].prep_resize(inst, NEW, mig)
    assert world.pump() == ["resize_instance@h1"]
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state) == (s.ERROR, None)
    assert world.conductor.migrations[mig.uuid] == "error"
    assert "Failed to resize instance on host h1" in world.conductor.faults[0]["message"]


def test_destination_failure_is_error(world: World) -> None:
    inst, mig = _start(world, "h1", "h2", metadata={"fake:fail_ops": "finish_migration"})
    world.agents["h2"].prep_resize(inst, NEW, mig)
    world.pump()
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state) == (s.ERROR, None)
    assert world.conductor.migrations[mig.uuid] == "error"
    assert (
        "Failed to finish the resize of instance on host h2" in world.conductor.faults[0]["message"]
    )
