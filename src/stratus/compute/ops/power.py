"""Power operations: stop, start, pause, unpause, suspend, resume.

Each is one driver call followed by one state update; a failure puts the instance back in its
previous ``vm_state`` with a fault (the guest is as it was), like Nova.
"""

from __future__ import annotations

from collections.abc import Callable

from stratus.common.revert import Reverter
from stratus.compute import lifecycle
from stratus.compute.ops.common import AgentEnv, run_op, set_state
from stratus.objects.instance import Instance
from stratus.virt.driver import InstanceNotFound


def _simple(env: AgentEnv, op: str, instance: Instance, act: Callable[[Instance], None]) -> None:
    transition = lifecycle.TRANSITIONS[op]

    def body(current: Instance, revert: Reverter) -> None:
        act(current)
        set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            vm_state=transition.done_vm_state,
            task_state=None,
            power_state=env.power_state(current),
        )

    run_op(env, op, instance, body)


def stop(env: AgentEnv, instance: Instance) -> None:
    def act(current: Instance) -> None:
        try:
            env.driver.power_off(current)
        except InstanceNotFound:
            pass  # NOTE: a guest that no longer exists is as stopped as it gets (Nova)

    _simple(env, "stop", instance, act)


def start(env: AgentEnv, instance: Instance) -> None:
    def act(current: Instance) -> None:
        vifs = env.network_info(current.uuid)
        env.plug(vifs)
        env.driver.power_on(current, vifs)

    _simple(env, "start", instance, act)


def pause(env: AgentEnv, instance: Instance) -> None:
    _simple(env, "pause", instance, env.driver.pause)


def unpause(env: AgentEnv, instance: Instance) -> None:
    _simple(env, "unpause", instance, env.driver.unpause)


def suspend(env: AgentEnv, instance: Instance) -> None:
    _simple(env, "suspend", instance, env.driver.suspend)


def resume(env: AgentEnv, instance: Instance) -> None:
    _simple(env, "resume", instance, lambda i: env.driver.resume(i, env.network_info(i.uuid)))
