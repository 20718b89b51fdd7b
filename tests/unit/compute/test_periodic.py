"""Heartbeats, resource reports, start-up recovery and the power-state sync."""

from __future__ import annotations

import pytest
from tests.fixtures.instances import make_instance
from tests.unit.compute.conftest import World

from stratus.common.exceptions import MessagingTimeout
from stratus.compute import periodic, resource_tracker
from stratus.objects import states as s
from stratus.objects.instance import Instance


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
    assert (
        "interrupted: the compute service on host h1 restarted while building"
        in (messages[spawning.uuid])
    )
    assert "restarted during resize_migrating" in messages[resizing.uuid]


def test_recovery_at_start_fails_builds_the_agent_had_taken(world: World) -> None:
    env = world.env("h1")
    taken = world.conductor.add(make_instance(host="h1", vm_state=s.BUILDING, task_state=None))
    queued = world.conductor.add(
        make_instance(host="h1", vm_state=s.BUILDING, task_state=s.SCHEDULING)
    )
    periodic.recover_instances(env)
    assert world.conductor.get(taken.uuid).vm_state == s.ERROR
    assert world.conductor.get(queued.uuid).vm_state == s.BUILDING  # its message may yet come
    messages = {f["uuid"]: f["message"] for f in world.conductor.faults}
    assert "restarted while building" in messages[taken.uuid]


def test_touch_working_touches_only_instances_with_an_operation(world: World) -> None:
    env = world.env("h1")
    busy = world.conductor.add(make_instance(host="h1", task_state=s.IMAGE_UPLOADING))
    idle = world.conductor.add(make_instance(host="h1"))
    with env.working.on(busy.uuid):
        assert periodic.touch_working(env) == 1
    assert periodic.touch_working(env) == 0
    assert [u for u, _values in world.conductor.updates if not _values] == [busy.uuid]
    assert idle.uuid not in [u for u, _values in world.conductor.updates]


def test_image_cache_manager_keeps_the_images_of_this_hosts_instances(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = world.env("h1")
    world.conductor.add(make_instance(host="h1", image_ref="img-a"))
    world.conductor.add(
        make_instance(host="h1", image_ref="img-ami", kernel_id="aki-1", ramdisk_id="ari-1")
    )
    world.conductor.add(make_instance(host="h1", image_ref=""))  # booted from a volume
    world.conductor.add(make_instance(host="h2", image_ref="img-elsewhere"))
    calls: list[tuple[set[str], float]] = []

    def manage(in_use: set[str], min_age: float) -> list[str]:
        calls.append((in_use, min_age))
        return ["img-old"]

    monkeypatch.setattr(world.driver(), "manage_image_cache", manage)
    assert periodic.manage_image_cache(env) == ["img-old"]
    assert calls == [({"img-a", "img-ami", "aki-1", "ari-1"}, 86400.0)]  # Nova's default age


def test_image_cache_manager_removes_nothing_when_the_conductor_is_unreachable(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = world.env("h1")

    def down(host: str) -> list[Instance]:
        raise MessagingTimeout("conductor down")

    monkeypatch.setattr(world.conductor, "instances_on_host", down)
    monkeypatch.setattr(world.driver(), "manage_image_cache", lambda *a: pytest.fail("called"))
    with pytest.raises(MessagingTimeout):
        periodic.manage_image_cache(env)


@pytest.mark.parametrize(
    ("interval", "remove", "every"),
    [(2400, True, [2400]), (0, True, [60]), (-1, True, []), (2400, False, [])],
)
def test_image_cache_manager_schedule_follows_novas_options(
    world: World, interval: int, remove: bool, every: list[float]
) -> None:
    from stratus.cmd.compute import schedule_image_cache

    class Service:
        def __init__(self) -> None:
            self.every_calls: list[float] = []

        def every(self, name: str, seconds: float, fn: object, run_now: bool = True) -> None:
            assert (name, run_now) == ("image-cache", False)
            self.every_calls.append(seconds)

    world.cfg.image_cache.manager_interval = interval
    world.cfg.image_cache.remove_unused_base_images = remove
    service = Service()
    schedule_image_cache(world.cfg, world.env("h1"), service)  # type: ignore[arg-type]
    assert service.every_calls == every
