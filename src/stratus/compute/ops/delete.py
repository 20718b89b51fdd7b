"""Terminate an instance: remove it from the hypervisor, then let the conductor free the rest
(allocations, ports) and mark the row deleted (``instance_destroyed``)."""

from __future__ import annotations

from stratus.common.revert import Reverter
from stratus.compute.ops.common import AgentEnv, run_op
from stratus.objects.instance import Instance


def terminate(env: AgentEnv, instance: Instance) -> None:
    def destroy(current: Instance) -> None:
        vifs = env.network_info(current.uuid)
        env.driver.destroy(current, vifs, destroy_disks=True)
        env.unplug(vifs)

    def body(current: Instance, revert: Reverter) -> None:
        destroy(current)
        env.conductor.instance_destroyed(current.uuid, env.host)

    def on_gone(stale: Instance) -> None:
        # NOTE: already deleted in the database (e.g. a local delete while this host was
        # down): only the hypervisor side may be left.
        env.driver.destroy(stale, [], destroy_disks=True)

    run_op(env, "terminate", instance, body, on_gone=on_gone)
