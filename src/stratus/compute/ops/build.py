"""Build and run a new instance on this host (cast by the conductor after scheduling).

A failure leaves nothing on the host and hands the instance back to the conductor
(``build_failed``), which reschedules it elsewhere or puts it in ERROR with the reason.
"""

from __future__ import annotations

from stratus.common import clock
from stratus.common.revert import Reverter
from stratus.compute import lifecycle
from stratus.compute.ops.common import AgentEnv, run_op, set_state
from stratus.objects import states
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.network import VIF


def build_and_run(
    env: AgentEnv,
    instance: Instance,
    image: ImageMeta | None,
    network_info: list[VIF],
    node: str,
) -> None:
    transition = lifecycle.TRANSITIONS["build_and_run"]

    def body(current: Instance, revert: Reverter) -> None:
        current = set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            vm_state=states.BUILDING,
            task_state=states.SPAWNING,
            host=env.host,
            node=node or env.host,
        )
        revert.add(lambda: env.unplug(network_info))
        env.plug(network_info)
        revert.add(lambda: env.driver.destroy(current, network_info, destroy_disks=True))
        env.driver.spawn(current, image, network_info, power_on=True)
        set_state(
            env,
            current.uuid,
            [states.SPAWNING],
            vm_state=states.ACTIVE,
            task_state=None,
            power_state=env.power_state(current),
            launched_at=clock.isotime(clock.utcnow(), subsecond=True),
            launched_on=env.host,
        )

    # NOTE: a build waiting for a free slot is work in progress too (touched, never reaped)
    with env.working.on(instance.uuid), env.builds:
        run_op(env, "build_and_run", instance, body)
