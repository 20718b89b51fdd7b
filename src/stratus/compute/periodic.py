"""The agent's own work, outside user requests: heartbeats, start-up recovery, power-state sync.

* :func:`heartbeat` — ``service_report`` every ``[DEFAULT] report_interval``; a host whose
  heartbeats stop is ``down`` after ``service_down_time`` and gets no new instances.
* :func:`recover_instances` — at start: finish or retry what a restart interrupted
  (:func:`~stratus.compute.lifecycle.recovery_for`), then :func:`sync_power_states`.
* :func:`sync_power_states` — every ``[compute] sync_power_state_interval``: make the database
  match the hypervisor for idle instances (a guest that shut itself down or vanished shows
  SHUTOFF), and remove guests whose instance was deleted while this host was away.
* :func:`touch_working` — every ``[conductor] progress_interval``: move ``updated_at`` of the
  instances this agent is working on, so the conductor's stuck-work check (which reaps work
  unchanged for ``[conductor] build_timeout``/``task_timeout``) leaves them alone.
* :func:`manage_image_cache` — every ``[image_cache] manager_interval``: the driver removes
  cached base images that no instance on this host used for
  ``remove_unused_original_minimum_age_seconds`` (Nova's image cache manager).
"""

from __future__ import annotations

import logging
from typing import Any

from stratus.common.exceptions import NotFound, StratusError
from stratus.compute import lifecycle
from stratus.compute.lifecycle import Recovery
from stratus.compute.ops import delete, power, reboot
from stratus.compute.ops.common import AgentEnv, TaskStateLost, record_fault, set_state
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.instance import Instance
from stratus.virt.driver import InstanceNotFound

LOG = logging.getLogger(__name__)

BINARY = "stratus-compute"
TOPIC = "compute"


def heartbeat(env: AgentEnv) -> bool:
    """Report this service alive; returns whether an operator disabled it."""
    answer = env.conductor.service_report(env.host, BINARY, TOPIC)
    return bool(answer.get("disabled", False))


def interrupted_message(host: str, instance: Instance) -> str:
    """The fault of work a restart of this agent interrupted half-way."""
    if instance.vm_state == states.BUILDING:
        return (
            f"Build of instance {instance.uuid} interrupted: the compute service on host "
            f"{host} restarted while building."
        )
    what = instance.task_state or instance.vm_state
    return f"The compute service on host {host} restarted during {what}."


def touch_working(env: AgentEnv) -> int:
    """Touch (``updated_at``) each instance an operation of this agent holds; returns how many."""
    touched = 0
    for uuid in env.working.uuids():
        try:
            env.conductor.instance_update(uuid, {})
            touched += 1
        except StratusError as exc:  # NOTE: gone meanwhile, or the conductor is away
            LOG.debug("could not touch instance %s: %s", uuid, exc)
    return touched


def _recover_one(env: AgentEnv, instance: Instance) -> None:
    action = lifecycle.recovery_for(instance)
    if action is Recovery.NONE:
        return
    LOG.info("recovering instance %s (%s): %s", instance.uuid, instance.task_state, action.value)
    if action is Recovery.DELETE:
        delete.terminate(env, instance)
    elif action is Recovery.STOP:
        power.stop(env, instance)
    elif action is Recovery.START:
        power.start(env, instance)
    elif action in (Recovery.REBOOT_SOFT, Recovery.REBOOT_HARD):
        reboot.reboot(env, instance, "HARD" if action is Recovery.REBOOT_HARD else "SOFT")
    elif action is Recovery.CLEAR_TASK:
        set_state(
            env,
            instance.uuid,
            [instance.task_state],
            task_state=None,
            power_state=env.power_state(instance),
        )
    else:
        # NOTE: compare-and-set on the task state: the conductor's stuck-work check may
        # settle the same instance at the same time; whoever comes second does nothing
        set_state(
            env,
            instance.uuid,
            [instance.task_state],
            vm_state=states.ERROR,
            task_state=None,
            power_state=env.power_state(instance),
        )
        message = interrupted_message(env.host, instance)
        record_fault(env, instance.uuid, message, RuntimeError(message))


def recover_instances(env: AgentEnv) -> None:
    """Called once at start-up, before the periodic tasks run."""
    for instance in env.conductor.instances_on_host(env.host):
        with env.locks.hold(instance.uuid):
            fresh = _refresh(env, instance.uuid)
        if fresh is None:
            continue
        try:
            _recover_one(env, fresh)
        except (StratusError, TaskStateLost) as exc:
            LOG.warning("could not recover instance %s: %s", instance.uuid, exc)
    sync_power_states(env)


def _refresh(env: AgentEnv, instance_uuid: str) -> Instance | None:
    try:
        instance = env.conductor.instance_get(instance_uuid)
    except NotFound:
        return None
    return None if instance.deleted else instance


def _sync_one(env: AgentEnv, instance_uuid: str) -> bool:
    instance = _refresh(env, instance_uuid)
    if instance is None or instance.host != env.host or instance.task_state is not None:
        return False
    try:
        power_state: int | None = env.driver.get_info(instance).power_state
    except InstanceNotFound:
        power_state = None
    change = lifecycle.power_sync(instance, power_state)
    if change is None:
        return False
    if change.power_off:
        env.driver.power_off(instance)
    values: dict[str, Any] = {"power_state": change.power_state}
    if change.vm_state is not None:
        values["vm_state"] = change.vm_state
        LOG.warning(
            "instance %s is %s on the hypervisor but %s in the database: now %s",
            instance.uuid,
            "missing" if power_state is None else states.POWER_STATE_NAMES.get(power_state),
            instance.vm_state,
            change.vm_state,
        )
    set_state(env, instance.uuid, [None], **values)
    return True


def _stub(instance_uuid: str) -> Instance:
    """Enough of an instance for ``destroy`` when the database has forgotten it."""
    flavor = Flavor(flavorid="", name="", vcpus=0, memory_mb=0, root_gb=0)
    return Instance(
        uuid=instance_uuid,
        display_name="",
        hostname="",
        project_id="",
        user_id="",
        flavor=flavor,
        vm_state=states.DELETED,
        deleted=True,
    )


def _reap_deleted(env: AgentEnv, known: set[str]) -> int:
    """Destroy guests whose instance is deleted (Nova's running-deleted cleanup, ``reap``)."""
    reaped = 0
    for uuid in env.driver.list_instance_uuids():
        if uuid in known:
            continue
        with env.locks.hold(uuid):
            try:
                instance = env.conductor.instance_get(uuid)
            except NotFound:
                instance = _stub(uuid)
            if not instance.deleted:
                continue  # e.g. the source copy of a resize awaiting confirmation
            LOG.warning("destroying guest %s: its instance was deleted", uuid)
            env.driver.destroy(instance, [], destroy_disks=True)
            reaped += 1
    return reaped


def sync_power_states(env: AgentEnv) -> int:
    """One sync pass; returns how many instances changed (for logs and tests)."""
    instances = env.conductor.instances_on_host(env.host)
    changed = 0
    for instance in instances:
        with env.locks.hold(instance.uuid):
            try:
                changed += _sync_one(env, instance.uuid)
            except (StratusError, TaskStateLost) as exc:
                LOG.warning("power-state sync of %s failed: %s", instance.uuid, exc)
    _reap_deleted(env, {i.uuid for i in instances})
    return changed


def images_in_use(instances: list[Instance]) -> set[str]:
    """The image, kernel and ramdisk ids ``instances`` were built from."""
    return {
        image_id
        for i in instances
        for image_id in (i.image_ref, i.kernel_id, i.ramdisk_id)
        if image_id
    }


def manage_image_cache(env: AgentEnv) -> list[str]:
    """One image cache manager pass; returns the removed image ids.

    If the conductor cannot say which instances are on this host, nothing is removed (the
    call raises before the driver is asked).
    """
    in_use = images_in_use(env.conductor.instances_on_host(env.host))
    min_age = float(env.cfg.image_cache.remove_unused_original_minimum_age_seconds)
    return env.driver.manage_image_cache(in_use, min_age)
