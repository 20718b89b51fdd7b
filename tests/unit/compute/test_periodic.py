"""Heartbeats, resource reports, start-up recovery and the power-state sync."""

from __future__ import annotations

from tests.fixtures.instances import make_instance
from tests.unit.compute.conftest import World

from stratus.compute import periodic, resource_tracker
from stratus.objects import states as s


def test_heartbeat_and_resource_report(world: World) -> None:
    env = world.env("h1")
    assert periodic.heartbeat(env) is False
    assert world.conductor.services == {("h1", "stratus-compute"): 1}
    world.driver().spawn(make_instance(), None, [])
    res = resource_tracker.report(env)
    assert world.conductor.nodes["h1"] == res
    assert (res.host, res.hypervisor_type, res.running_vms) == ("h1", "fake", 1)
    assert res.memory_mb == world.cfg.fake_driver.memory_mb


def test_guest_stopped_or_vanished_outside_stratus_shows_shutoff(world: World) -> None:
    env = world.env("h1")
    a = world.conductor.add(make_instance(host="h1", power_state=s.RUNNING))
    b = world.conductor.add(make_instance(host="h1", power_state=s.RUNNING))
    c = world.conductor.add(make_instance(host="h1", power_state=s.RUNNING))
    for inst in (a, b, c):
        world.driver().spawn(inst, None, [])
    world.driver().external_stop(a.uuid)
    world.driver().external_destroy(b.uuid)
    assert periodic.sync_power_states(env) == 2
    for inst in (a, b):
        got = world.conductor.get(inst.uuid)
        assert (got.vm_state, got.power_state) == (s.STOPPED, s.SHUTDOWN)
    assert world.conductor.get(c.uuid).vm_state == s.ACTIVE
    assert periodic.sync_power_states(env) == 0  # nothing left to change


def test_sync_skips_busy_instances_and_stops_running_stopped_ones(world: World) -> None:
    env = world.env("h1")
    busy = world.conductor.add(
        make_instance(host="h1", power_state=s.RUNNING, task_state=s.POWERING_OFF)
    )
    stopped = world.conductor.add(
        make_instance(host="h1", vm_state=s.STOPPED, power_state=s.SHUTDOWN)
    )
    world.driver().spawn(stopped, None, [])  # running although the database says stopped
    assert periodic.sync_power_states(env) == 1
    assert world.driver().get_info(stopped).power_state == s.SHUTDOWN
    assert world.conductor.get(busy.uuid).task_state == s.POWERING_OFF


def test_sync_reaps_guests_of_deleted_instances(world: World) -> None:
    env = world.env("h1")
    deleted = world.conductor.add(make_instance(host="h1"))
    unknown = make_instance()
    elsewhere = world.conductor.add(make_instance(host="h2", vm_state=s.RESIZED))
    for inst in (deleted, unknown, elsewhere):
        world.driver().spawn(inst, None, [])
    world.conductor.set(deleted.uuid, deleted=True)
    periodic.sync_power_states(env)
    assert world.driver().list_instance_uuids() == [elsewhere.uuid]


def test_recovery_at_start(world: World) -> None:
    env = world.env("h1")
    deleting = world.conductor.add(make_instance(host="h1", task_state=s.DELETING))
    stopping = world.conductor.add(make_instance(host="h1", task_state=s.POWERING_OFF))
    spawning = world.conductor.add(
        make_instance(host="h1", vm_state=s.BUILDING, task_state=s.SPAWNING)
    )
    pausing = world.conductor.add(make_instance(host="h1", task_state=s.PAUSING))
    resizing = world.conductor.add(make_instance(host="h1", task_state=s.RESIZE_MIGRATING))
    for inst in (deleting, stopping, pausing, resizing):
        world.driver().spawn(inst, None, [])
    periodic.recover_instances(env)
    assert world.conductor.destroyed == [deleting.uuid]
    got = world.conductor.get(stopping.uuid)
    assert (got.vm_state, got.task_state, got.power_state) == (s.STOPPED, None, s.SHUTDOWN)
    got = world.conductor.get(spawning.uuid)
    assert (got.vm_state, got.task_state) == (s.ERROR, None)
    assert world.conductor.get(pausing.uuid).task_state is None
    assert world.conductor.get(resizing.uuid).vm_state == s.ERROR
    messages = {f["uuid"]: f["message"] for f in world.conductor.faults}
    assert "restarted during spawning" in messages[spawning.uuid]
    assert "restarted during resize_migrating" in messages[resizing.uuid]
