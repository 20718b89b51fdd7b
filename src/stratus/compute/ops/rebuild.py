"""Rebuild: the same instance (id, ports, flavor) re-created from an image.

The old guest and disks go first, then the instance spawns again from ``image``; a stopped
instance stays stopped (Nova). A failure after the old disks are gone leaves it in ERROR.
"""

from __future__ import annotations

from stratus.common import clock
from stratus.common.revert import Reverter
from stratus.compute import lifecycle
from stratus.compute.ops.common import AgentEnv, run_op, set_state
from stratus.objects import states
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance


def rebuild(env: AgentEnv, instance: Instance, image: ImageMeta) -> None:
    transition = lifecycle.TRANSITIONS["rebuild"]

    def body(current: Instance, revert: Reverter) -> None:
        was_stopped = current.vm_state == states.STOPPED
        vifs = env.network_info(current.uuid)
        env.driver.destroy(current, vifs, destroy_disks=True)
        current = set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            task_state=states.REBUILD_SPAWNING,
            image_ref=image.id,
            power_state=states.NOSTATE,
        )
        env.plug(vifs)
        env.driver.spawn(current, image, vifs, power_on=not was_stopped)
        set_state(
            env,
            current.uuid,
            [states.REBUILD_SPAWNING],
            vm_state=states.STOPPED if was_stopped else states.ACTIVE,
            task_state=None,
            power_state=env.power_state(current),
            launched_at=clock.isotime(clock.utcnow(), subsecond=True),
        )

    run_op(env, "rebuild", instance, body)
