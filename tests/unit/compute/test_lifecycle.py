"""Allowed transitions, start-up recovery and power-sync decisions (pure functions)."""

from __future__ import annotations

import pytest
from tests.fixtures.instances import make_instance

from stratus.compute import lifecycle
from stratus.compute.lifecycle import Recovery
from stratus.objects import states as s


def test_check_accepts_the_state_the_api_left() -> None:
    stop = lifecycle.TRANSITIONS["stop"]
    lifecycle.check(stop, make_instance(vm_state=s.ACTIVE, task_state=s.POWERING_OFF))


@pytest.mark.parametrize(
    ("op", "vm_state", "task_state", "why"),
    [
        ("stop", s.ACTIVE, None, "task_state None"),
        ("stop", s.BUILDING, s.POWERING_OFF, "vm_state building"),
        ("start", s.ACTIVE, s.POWERING_ON, "vm_state active"),
        ("pause", s.ACTIVE, s.DELETING, "task_state deleting"),
        ("reboot_soft", s.STOPPED, s.REBOOTING, "vm_state stopped"),
        ("confirm_resize", s.ACTIVE, None, "vm_state active"),
        ("build_and_run", s.ERROR, s.SCHEDULING, "vm_state error"),
        ("finish_resize", s.ACTIVE, s.RESIZE_PREP, "task_state resize_prep"),
    ],
)
def test_check_rejects_with_a_message(op: str, vm_state: str, task_state: str, why: str) -> None:
    inst = make_instance(vm_state=vm_state, task_state=task_state)
    with pytest.raises(lifecycle.IllegalTransition, match=f"Cannot '{op}' .* {why}"):
        lifecycle.check(lifecycle.TRANSITIONS[op], inst)


def test_terminate_is_allowed_from_anything() -> None:
    t = lifecycle.TRANSITIONS["terminate"]
    for vm in (s.BUILDING, s.ERROR, s.RESIZED, s.ACTIVE):
        lifecycle.check(t, make_instance(vm_state=vm, task_state=s.SPAWNING))


def test_hard_reboot_allowed_from_error_soft_is_not() -> None:
    inst = make_instance(vm_state=s.ERROR, task_state=s.REBOOTING_HARD)
    lifecycle.check(lifecycle.TRANSITIONS["reboot_hard"], inst)
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.check(
            lifecycle.TRANSITIONS["reboot_soft"],
            inst.model_copy(update={"task_state": s.REBOOTING}),
        )


@pytest.mark.parametrize(
    ("vm_state", "task_state", "expected"),
    [
        (s.ACTIVE, None, Recovery.NONE),
        (s.ACTIVE, s.DELETING, Recovery.DELETE),
        (s.ERROR, s.DELETING, Recovery.DELETE),
        (s.BUILDING, s.SPAWNING, Recovery.ERROR),
        (s.BUILDING, s.SCHEDULING, Recovery.NONE),
        (s.BUILDING, s.NETWORKING, Recovery.ERROR),
        (s.BUILDING, s.BLOCK_DEVICE_MAPPING, Recovery.ERROR),
        (s.BUILDING, None, Recovery.ERROR),
        (s.ACTIVE, s.POWERING_OFF, Recovery.STOP),
        (s.STOPPED, s.POWERING_ON, Recovery.START),
        (s.ACTIVE, s.REBOOT_STARTED, Recovery.REBOOT_SOFT),
        (s.ACTIVE, s.REBOOTING_HARD, Recovery.REBOOT_HARD),
        (s.ACTIVE, s.PAUSING, Recovery.CLEAR_TASK),
        (s.ACTIVE, s.IMAGE_UPLOADING, Recovery.CLEAR_TASK),
        (s.ACTIVE, s.RESIZE_MIGRATING, Recovery.ERROR),
        (s.ACTIVE, s.REBUILD_SPAWNING, Recovery.ERROR),
    ],
)
def test_recovery_rules(vm_state: str, task_state: str | None, expected: Recovery) -> None:
    inst = make_instance(vm_state=vm_state, task_state=task_state)
    assert lifecycle.recovery_for(inst) is expected


@pytest.mark.parametrize(
    ("vm_state", "db_power", "hv_power", "expected"),
    [
        (s.ACTIVE, s.RUNNING, s.RUNNING, None),
        (s.ACTIVE, s.RUNNING, s.SHUTDOWN, lifecycle.PowerSync(s.SHUTDOWN, s.STOPPED)),
        (s.ACTIVE, s.RUNNING, None, lifecycle.PowerSync(s.SHUTDOWN, s.STOPPED)),
        (s.ACTIVE, s.RUNNING, s.CRASHED, lifecycle.PowerSync(s.CRASHED, s.STOPPED)),
        (s.PAUSED, s.PAUSED_POWER, s.SHUTDOWN, lifecycle.PowerSync(s.SHUTDOWN, s.STOPPED)),
        (
            s.ACTIVE,
            s.RUNNING,
            s.SUSPENDED_POWER,
            lifecycle.PowerSync(s.SHUTDOWN, s.STOPPED, power_off=True),
        ),
        (s.STOPPED, s.SHUTDOWN, s.RUNNING, lifecycle.PowerSync(s.SHUTDOWN, power_off=True)),
        (s.STOPPED, s.SHUTDOWN, None, None),
        (s.ACTIVE, s.RUNNING, s.PAUSED_POWER, lifecycle.PowerSync(s.PAUSED_POWER)),
        (s.ERROR, s.NOSTATE, s.RUNNING, lifecycle.PowerSync(s.RUNNING)),
    ],
)
def test_power_sync(
    vm_state: str, db_power: int, hv_power: int | None, expected: lifecycle.PowerSync | None
) -> None:
    inst = make_instance(vm_state=vm_state, power_state=db_power)
    assert lifecycle.power_sync(inst, hv_power) == expected


def test_every_compute_rpc_method_has_an_agent_method() -> None:
    from stratus.compute.agent import ComputeAgent
    from stratus.messaging.bus import is_rpc_method
    from stratus.rpcapi.compute import ComputeAPI

    api = {n for n in vars(ComputeAPI) if not n.startswith("_")}
    agent = {n for n, f in vars(ComputeAgent).items() if is_rpc_method(f)}
    assert api == agent
