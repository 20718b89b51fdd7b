"""Reboot: ``SOFT`` asks the guest (falling back to a reset when it cannot, as Nova's libvirt
driver does), ``HARD`` resets it. A failed reboot leaves the instance in ERROR (Nova)."""

from __future__ import annotations

import logging

from stratus.common.revert import Reverter
from stratus.compute import lifecycle
from stratus.compute.ops.common import AgentEnv, describe, run_op, set_state
from stratus.objects import states
from stratus.objects.instance import Instance
from stratus.virt.driver import DriverError, NotSupported

LOG = logging.getLogger(__name__)


def reboot(env: AgentEnv, instance: Instance, reboot_type: str) -> None:
    op = "reboot_hard" if reboot_type.upper() == "HARD" else "reboot_soft"
    transition = lifecycle.TRANSITIONS[op]

    def body(current: Instance, revert: Reverter) -> None:
        current = set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            task_state=transition.working_task_state,
        )
        vifs = env.network_info(current.uuid)
        if op == "reboot_soft":
            try:
                env.driver.reboot(current, vifs, "SOFT")
            except (DriverError, NotSupported) as exc:
                LOG.info("soft reboot of %s failed (%s); resetting it", current.uuid, describe(exc))
                env.driver.reboot(current, vifs, "HARD")
        else:
            env.plug(vifs)
            env.driver.reboot(current, vifs, "HARD")
        set_state(
            env,
            current.uuid,
            [transition.working_task_state],
            vm_state=states.ACTIVE,
            task_state=None,
            power_state=env.power_state(current),
        )

    run_op(env, op, instance, body)
