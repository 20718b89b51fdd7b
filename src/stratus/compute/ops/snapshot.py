"""createImage: snapshot the root disk and upload it into the image the API created (queued).

Task states as in Nova: ``image_snapshot`` while the driver writes the snapshot,
``image_pending_upload`` then ``image_uploading`` while it goes to the image service, then none.
A failure deletes the queued image (Nova's ``delete_image_on_error``), records a fault and
leaves the instance's ``vm_state`` as it was.
"""

from __future__ import annotations

from pathlib import Path

from stratus.common.revert import Reverter
from stratus.compute import lifecycle
from stratus.compute.ops.common import AgentEnv, run_op, set_state
from stratus.objects import states
from stratus.objects.instance import Instance


def snapshot(env: AgentEnv, instance: Instance, image_id: str, auth_token: str) -> None:
    transition = lifecycle.TRANSITIONS["snapshot"]
    workdir = Path(env.cfg.compute.instances_path) / "snapshots"

    def body(current: Instance, revert: Reverter) -> None:
        revert.add(lambda: env.images.delete(image_id, auth_token))
        set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            task_state=states.IMAGE_SNAPSHOT,
        )
        snap = env.driver.snapshot(current, workdir)
        try:
            set_state(
                env, current.uuid, [states.IMAGE_SNAPSHOT], task_state=states.IMAGE_PENDING_UPLOAD
            )
            set_state(
                env, current.uuid, [states.IMAGE_PENDING_UPLOAD], task_state=states.IMAGE_UPLOADING
            )
            env.images.upload(image_id, auth_token, snap)
        finally:
            snap.path.unlink(missing_ok=True)
        set_state(env, current.uuid, [states.IMAGE_UPLOADING], task_state=None)

    run_op(env, "snapshot", instance, body)
