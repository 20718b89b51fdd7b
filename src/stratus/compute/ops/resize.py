"""Resize and cold migration, as a relay between the destination and source agents.

::

    conductor ──prep_resize──▶ dest: remember new/old flavor
    dest ──resize_instance──▶ source: migrate_disk_and_power_off (resize_migrating → _migrated)
    source ──finish_resize──▶ dest: finish_migration, host=dest, flavor=new → vm_state resized
                                    (the API shows VERIFY_RESIZE)
    confirm: API ──confirm_resize──▶ source: confirm_migration → active + resize_confirmed
    revert:  API ──revert_resize──▶ dest: destroy the new copy
             dest ──finish_revert_resize──▶ source: revert_migration → active + resize_reverted

Source and destination may be the same host (all-in-one clouds have one): then the destination
keeps the VM and the driver keeps what a revert needs. Resources stay claimed on both hosts
until the resize is confirmed or reverted (the conductor's ``resize_confirmed`` /
``resize_reverted`` drop one side). A failure before the guest moved marks the migration
``error``, which makes the conductor put the allocations back on the source; the instance goes
back to its previous state when the destination failed to prepare, and to ERROR (with a fault)
when the source or the destination failed with the guest half-moved, as Nova does.
"""

from __future__ import annotations

from stratus.common.exceptions import Invalid
from stratus.common.revert import Reverter
from stratus.compute import lifecycle
from stratus.compute.ops.common import AgentEnv, run_op, set_state
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.instance import Instance
from stratus.objects.migration import MigrationRef


def _abort(env: AgentEnv, instance_uuid: str, migration: MigrationRef) -> None:
    """Undo a resize that failed before the guest moved: the conductor puts the allocations
    back on the source when a migration that did not move the instance goes to ``error``."""
    env.conductor.migration_update(migration.uuid, "error")
    env.conductor.instance_update(instance_uuid, {"new_flavor": None, "old_flavor": None})


def _source(migration: MigrationRef) -> str:
    if not migration.source_compute:
        raise Invalid(f"migration {migration.uuid} has no source host")
    return migration.source_compute


def prep_resize(
    env: AgentEnv, instance: Instance, new_flavor: Flavor, migration: MigrationRef
) -> None:
    """Destination: record the flavors, then ask the source to hand the guest over."""
    transition = lifecycle.TRANSITIONS["prep_resize"]

    def body(current: Instance, revert: Reverter) -> None:
        revert.add(lambda: _abort(env, current.uuid, migration))
        same_host = _source(migration) == env.host
        if same_host and migration.migration_type == "migration":
            raise Invalid(f"cannot migrate instance {current.uuid} to the host it is on")
        if same_host and not env.cfg.compute.allow_resize_to_same_host:
            raise Invalid(
                f"resize to the same host {env.host} is disabled "
                "([compute] allow_resize_to_same_host)"
            )
        current = set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            new_flavor=new_flavor,
            old_flavor=current.flavor,
        )
        env.conductor.migration_update(migration.uuid, "pre-migrating")
        env.compute.resize_instance(_source(migration), current, new_flavor, migration)

    run_op(env, "prep_resize", instance, body)


def resize_instance(
    env: AgentEnv, instance: Instance, new_flavor: Flavor, migration: MigrationRef
) -> None:
    """Source: power off and make the disks available to the destination."""

    def body(current: Instance, revert: Reverter) -> None:
        revert.add(lambda: _abort(env, current.uuid, migration))
        current = set_state(
            env, current.uuid, [states.RESIZE_PREP], task_state=states.RESIZE_MIGRATING
        )
        env.conductor.migration_update(migration.uuid, "migrating")
        dest = migration.dest_compute or env.host
        env.driver.migrate_disk_and_power_off(current, dest, new_flavor)
        current = set_state(
            env,
            current.uuid,
            [states.RESIZE_MIGRATING],
            task_state=states.RESIZE_MIGRATED,
            progress=50,
        )
        env.conductor.migration_update(migration.uuid, "post-migrating")
        env.compute.finish_resize(dest, current, migration)

    run_op(env, "resize", instance, body)


def finish_resize(env: AgentEnv, instance: Instance, migration: MigrationRef) -> None:
    """Destination: start the guest with the new flavor; the user verifies, then confirms or
    reverts (vm_state ``resized``)."""

    def body(current: Instance, revert: Reverter) -> None:
        revert.add(lambda: env.conductor.migration_update(migration.uuid, "error"))
        new_flavor = current.new_flavor
        if new_flavor is None:
            raise Invalid(f"instance {current.uuid} has no new flavor to resize to")
        power_on = current.vm_state != states.STOPPED
        current = set_state(
            env,
            current.uuid,
            [states.RESIZE_MIGRATED],
            task_state=states.RESIZE_FINISH,
            host=env.host,
            node=migration.dest_node or env.host,
            flavor=new_flavor,
        )
        vifs = env.network_info(current.uuid)
        env.plug(vifs)
        env.driver.finish_migration(current, vifs, new_flavor, power_on)
        set_state(
            env,
            current.uuid,
            [states.RESIZE_FINISH],
            vm_state=states.RESIZED,
            task_state=None,
            power_state=env.power_state(current),
            progress=100,
        )
        env.conductor.migration_update(migration.uuid, "finished")

    run_op(env, "finish_resize", instance, body)


def confirm_resize(env: AgentEnv, instance: Instance, migration: MigrationRef) -> None:
    """Source: drop the old guest (cross-host) or what was kept for a revert (same host)."""
    transition = lifecycle.TRANSITIONS["confirm_resize"]

    def body(current: Instance, revert: Reverter) -> None:
        vifs = env.network_info(current.uuid)
        env.driver.confirm_migration(current, vifs)
        if migration.dest_compute and migration.dest_compute != env.host:
            env.unplug(vifs)
        set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            vm_state=lifecycle.running_vm_state(current.power_state),
            task_state=None,
            old_flavor=None,
            new_flavor=None,
        )
        env.conductor.resize_confirmed(current.uuid, migration.uuid)

    run_op(env, "confirm_resize", instance, body)


def revert_resize(env: AgentEnv, instance: Instance, migration: MigrationRef) -> None:
    """Destination: remove the new copy (unless it is the same host), then hand back."""

    def body(current: Instance, revert: Reverter) -> None:
        source = _source(migration)
        if source != env.host:
            vifs = env.network_info(current.uuid)
            env.driver.destroy(current, vifs, destroy_disks=True)
            env.unplug(vifs)
        env.compute.finish_revert_resize(source, current, migration)

    run_op(env, "revert_resize", instance, body)


def finish_revert_resize(env: AgentEnv, instance: Instance, migration: MigrationRef) -> None:
    """Source: back to the old flavor and disks, running if the guest was running."""
    transition = lifecycle.TRANSITIONS["finish_revert_resize"]

    def body(current: Instance, revert: Reverter) -> None:
        power_on = lifecycle.running_vm_state(current.power_state) == states.ACTIVE
        current = set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            host=env.host,
            node=migration.source_node or env.host,
            flavor=current.old_flavor or current.flavor,
            old_flavor=None,
            new_flavor=None,
        )
        vifs = env.network_info(current.uuid)
        env.plug(vifs)
        env.driver.revert_migration(current, vifs, power_on)
        power = env.power_state(current)
        set_state(
            env,
            current.uuid,
            transition.expected_task_states,
            vm_state=lifecycle.running_vm_state(power),
            task_state=None,
            power_state=power,
        )
        env.conductor.resize_reverted(current.uuid, migration.uuid)

    run_op(env, "finish_revert_resize", instance, body)
