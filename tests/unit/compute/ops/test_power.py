"""stop/start/pause/unpause/suspend/resume/reboot through the agent and the fake driver."""

from __future__ import annotations

import pytest
from tests.fixtures.instances import make_instance
from tests.unit.compute.conftest import World

from stratus.objects import states as s
from stratus.objects.instance import Instance


def _running(world: World, **kw: object) -> Instance:
    inst = world.conductor.add(make_instance(host="h1", power_state=s.RUNNING, **kw))
    world.driver("h1").spawn(inst, None, [])
    return inst


def _act(world: World, inst: Instance, method: str, task: str, *args: str) -> Instance:
    inst = world.conductor.set(inst.uuid, task_state=task)
    getattr(world.agents["h1"], method)(inst, *args)
    return world.conductor.get(inst.uuid)


@pytest.mark.parametrize(
    ("steps"),
    [
        [
            ("stop_instance", s.POWERING_OFF, s.STOPPED, s.SHUTDOWN),
            ("start_instance", s.POWERING_ON, s.ACTIVE, s.RUNNING),
        ],
        [
            ("pause_instance", s.PAUSING, s.PAUSED, s.PAUSED_POWER),
            ("unpause_instance", s.UNPAUSING, s.ACTIVE, s.RUNNING),
        ],
        [
            ("suspend_instance", s.SUSPENDING, s.SUSPENDED, s.SUSPENDED_POWER),
            ("resume_instance", s.RESUMING, s.ACTIVE, s.RUNNING),
        ],
    ],
)
def test_power_round_trips(world: World, steps: list[tuple[str, str, str, int]]) -> None:
    inst = _running(world)
    for method, task, vm_state, power in steps:
        got = _act(world, inst, method, task)
        assert (got.vm_state, got.task_state, got.power_state) == (vm_state, None, power)
        assert world.driver().get_info(got).power_state == power


def test_failed_stop_returns_to_active_with_a_fault(world: World, user_request) -> None:  # type: ignore[no-untyped-def]
    inst = _running(world, metadata={"fake:fail_ops": "power_off"})
    with user_request():
        got = _act(world, inst, "stop_instance", s.POWERING_OFF)
    assert (got.vm_state, got.task_state) == (s.ACTIVE, None)
    [fault] = world.conductor.faults
    assert fault["message"].startswith("Failed to stop instance on host h1: fake driver")
    assert "injected failure of power_off" in fault["message"]
    assert world.conductor.events[-1][2:] == ("compute_stop_instance", "Error")


def test_stale_message_is_ignored(world: World) -> None:
    inst = _running(world)
    # a stop whose task state was reset by an admin meanwhile
    world.agents["h1"].stop_instance(inst)
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state) == (s.ACTIVE, None)
    assert world.driver().get_info(got).power_state == s.RUNNING
    assert world.conductor.faults == []


@pytest.mark.parametrize(("kind", "task"), [("SOFT", s.REBOOTING), ("HARD", s.REBOOTING_HARD)])
def test_reboot(world: World, kind: str, task: str) -> None:
    inst = _running(world)
    got = _act(world, inst, "reboot_instance", task, kind)
    assert (got.vm_state, got.task_state, got.power_state) == (s.ACTIVE, None, s.RUNNING)
    started = [u[1]["task_state"] for u in world.conductor.updates]
    assert started[0] == (s.REBOOT_STARTED if kind == "SOFT" else s.REBOOT_STARTED_HARD)


def test_soft_reboot_falls_back_to_a_reset(world: World) -> None:
    inst = _running(world)
    world.driver().external_stop(inst.uuid)  # the guest cannot take an ACPI reboot
    got = _act(world, inst, "reboot_instance", s.REBOOTING, "SOFT")
    assert (got.vm_state, got.power_state) == (s.ACTIVE, s.RUNNING)


def test_failed_reboot_is_error(world: World) -> None:
    inst = _running(world, metadata={"fake:fail_ops": "reboot"})
    got = _act(world, inst, "reboot_instance", s.REBOOTING_HARD, "HARD")
    assert (got.vm_state, got.task_state) == (s.ERROR, None)
    assert "injected failure of reboot" in world.conductor.faults[0]["message"]


def test_hard_reboot_recovers_an_error_instance(world: World) -> None:
    inst = _running(world)
    inst = world.conductor.set(inst.uuid, vm_state=s.ERROR)
    got = _act(world, inst, "reboot_instance", s.REBOOTING_HARD, "HARD")
    assert (got.vm_state, got.task_state) == (s.ACTIVE, None)


def test_stop_of_a_vanished_guest_succeeds(world: World) -> None:
    inst = _running(world)
    world.driver().external_destroy(inst.uuid)
    got = _act(world, inst, "stop_instance", s.POWERING_OFF)
    assert (got.vm_state, got.task_state, got.power_state) == (s.STOPPED, None, s.NOSTATE)
    assert world.conductor.faults == []


def test_start_of_a_vanished_guest_says_why(world: World) -> None:
    inst = _running(world, vm_state=s.STOPPED)
    world.driver().external_destroy(inst.uuid)
    got = _act(world, inst, "start_instance", s.POWERING_ON)
    assert (got.vm_state, got.task_state) == (s.STOPPED, None)
    assert "does not exist on fake host h1" in world.conductor.faults[0]["message"]
