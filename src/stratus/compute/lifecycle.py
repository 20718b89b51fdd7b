"""Which agent operations an instance admits, and where each leaves it (pure; no I/O).

The API checks a server's state before it casts an action (409 for a user); the agent checks
again when the message arrives, because the instance may have changed while the message
waited (a delete, a ``resetState``). Each operation is a :class:`Transition`: the ``vm_state``
it may start from, the ``task_state`` the API or conductor set before casting (the agent only
proceeds while the instance still carries it — otherwise someone else owns the instance now),
the ``task_state`` shown while the agent works, where it ends and what a failure does.

Also here: what the agent does with each instance when it starts (:func:`recovery_for`) and how
the power-state sync reconciles the database with the hypervisor (:func:`power_sync`), both as
Nova's compute manager does (``_init_instance``, ``_sync_instance_power_state``).
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Literal

from stratus.common.exceptions import Conflict
from stratus.objects import states as s
from stratus.objects.instance import Instance

OnFailure = Literal["revert", "error", "reschedule"]


class IllegalTransition(Conflict):
    """The instance is not in a state this operation can start from."""


@dataclasses.dataclass(frozen=True)
class Transition:
    op: str
    event: str  # instance action event name, as Nova names them
    from_vm_states: frozenset[str] | None  # None: any
    expected_task_states: tuple[str | None, ...] | None  # None: any
    working_task_state: str | None = None  # shown while the agent works (None: keep)
    done_vm_state: str | None = None  # None: decided by the operation
    on_failure: OnFailure = "revert"  # revert: back to the previous vm_state; error: ERROR
    label: str = ""  # for fault messages: "Failed to <label> instance on host h1: ..."

    @property
    def failure(self) -> str:
        return f"Failed to {self.label or self.op} instance"


def _t(
    op: str,
    from_vm: tuple[str, ...] | None,
    expected: tuple[str | None, ...] | None,
    working: str | None = None,
    done: str | None = None,
    on_failure: OnFailure = "revert",
    event: str | None = None,
    label: str = "",
) -> Transition:
    return Transition(
        op,
        event or f"compute_{op}_instance",
        frozenset(from_vm) if from_vm is not None else None,
        expected,
        working,
        done,
        on_failure,
        label,
    )


_ANY_REBOOTABLE = (s.ACTIVE, s.STOPPED, s.PAUSED, s.SUSPENDED, s.ERROR)

TRANSITIONS: dict[str, Transition] = {
    t.op: t
    for t in (
        _t(
            "build_and_run",
            (s.BUILDING,),
            (s.SCHEDULING, s.NETWORKING, s.BLOCK_DEVICE_MAPPING, None),
            working=s.SPAWNING,
            done=s.ACTIVE,
            on_failure="reschedule",
            label="build",
        ),
        _t("terminate", None, None, on_failure="error", label="delete"),
        _t("stop", (s.ACTIVE, s.ERROR, s.RESCUED, s.STOPPED), (s.POWERING_OFF,), done=s.STOPPED),
        _t("start", (s.STOPPED,), (s.POWERING_ON,), done=s.ACTIVE),
        _t(
            "reboot_soft",
            (s.ACTIVE,),
            (s.REBOOTING, s.REBOOT_PENDING, s.REBOOT_STARTED),
            working=s.REBOOT_STARTED,
            done=s.ACTIVE,
            on_failure="error",
            event="compute_reboot_instance",
            label="soft-reboot",
        ),
        _t(
            "reboot_hard",
            _ANY_REBOOTABLE,
            (s.REBOOTING_HARD, s.REBOOT_PENDING_HARD, s.REBOOT_STARTED_HARD),
            working=s.REBOOT_STARTED_HARD,
            done=s.ACTIVE,
            on_failure="error",
            event="compute_reboot_instance",
            label="hard-reboot",
        ),
        _t("pause", (s.ACTIVE,), (s.PAUSING,), done=s.PAUSED),
        _t("unpause", (s.PAUSED,), (s.UNPAUSING,), done=s.ACTIVE),
        _t("suspend", (s.ACTIVE,), (s.SUSPENDING,), done=s.SUSPENDED),
        _t("resume", (s.SUSPENDED,), (s.RESUMING,), done=s.ACTIVE),
        _t(
            "rebuild",
            (s.ACTIVE, s.STOPPED, s.ERROR),
            (s.REBUILDING,),
            working=s.REBUILD_SPAWNING,
            on_failure="error",
        ),
        _t(
            "snapshot",
            (s.ACTIVE, s.STOPPED, s.PAUSED, s.SUSPENDED),
            (s.IMAGE_SNAPSHOT_PENDING, s.IMAGE_SNAPSHOT),
            working=s.IMAGE_SNAPSHOT,
        ),
        _t(
            "prep_resize",
            (s.ACTIVE, s.STOPPED),
            (s.RESIZE_PREP,),
            event="compute_prep_resize",
            label="prepare the resize of",
        ),
        _t(
            "resize",
            (s.ACTIVE, s.STOPPED),
            (s.RESIZE_PREP,),
            working=s.RESIZE_MIGRATING,
            on_failure="error",
        ),
        _t(
            "finish_resize",
            (s.ACTIVE, s.STOPPED),
            (s.RESIZE_MIGRATED,),
            working=s.RESIZE_FINISH,
            done=s.RESIZED,
            on_failure="error",
            event="compute_finish_resize",
            label="finish the resize of",
        ),
        _t(
            "confirm_resize",
            (s.RESIZED,),
            (None, s.RESIZE_CONFIRMING),
            on_failure="error",
            event="compute_confirm_resize",
            label="confirm the resize of",
        ),
        _t(
            "revert_resize",
            (s.RESIZED,),
            (s.RESIZE_REVERTING,),
            on_failure="error",
            event="compute_revert_resize",
            label="revert the resize of",
        ),
        _t(
            "finish_revert_resize",
            (s.RESIZED,),
            (s.RESIZE_REVERTING,),
            on_failure="error",
            event="compute_finish_revert_resize",
            label="finish reverting the resize of",
        ),
    )
}


def owns(transition: Transition, instance: Instance) -> bool:
    """Whether the instance still carries the task state this operation was cast for."""
    expected = transition.expected_task_states
    return expected is None or instance.task_state in expected


def check(transition: Transition, instance: Instance) -> None:
    """Raise ``IllegalTransition`` unless ``instance`` may go through ``transition`` now."""
    allowed = transition.from_vm_states
    if allowed is not None and instance.vm_state not in allowed:
        raise IllegalTransition(
            f"Cannot '{transition.op}' instance {instance.uuid} while it is in vm_state "
            f"{instance.vm_state}"
        )
    if not owns(transition, instance):
        raise IllegalTransition(
            f"Cannot '{transition.op}' instance {instance.uuid} while it is in task_state "
            f"{instance.task_state}"
        )


def running_vm_state(power_state: int) -> str:
    """``active`` for a running (or paused) guest, else ``stopped`` — after resize steps."""
    return s.STOPPED if power_state in (s.SHUTDOWN, s.CRASHED, s.NOSTATE) else s.ACTIVE


# -- agent start-up -------------------------------------------------------------------------
class Recovery(enum.Enum):
    """What the agent does, at start-up, with an instance it finds mid-task."""

    NONE = "none"
    DELETE = "delete"  # finish the delete
    STOP = "stop"  # retry
    START = "start"  # retry
    REBOOT_SOFT = "reboot_soft"  # retry
    REBOOT_HARD = "reboot_hard"  # retry
    CLEAR_TASK = "clear_task"  # the task left nothing half-done: task_state -> None
    ERROR = "error"  # interrupted half-way: ERROR with a fault


_RETRY = {
    s.DELETING: Recovery.DELETE,
    s.POWERING_OFF: Recovery.STOP,
    s.POWERING_ON: Recovery.START,
    s.REBOOTING: Recovery.REBOOT_SOFT,
    s.REBOOT_PENDING: Recovery.REBOOT_SOFT,
    s.REBOOT_STARTED: Recovery.REBOOT_SOFT,
    s.REBOOTING_HARD: Recovery.REBOOT_HARD,
    s.REBOOT_PENDING_HARD: Recovery.REBOOT_HARD,
    s.REBOOT_STARTED_HARD: Recovery.REBOOT_HARD,
}
_CLEARABLE = frozenset(
    {
        s.PAUSING,
        s.UNPAUSING,
        s.SUSPENDING,
        s.RESUMING,
        s.IMAGE_SNAPSHOT,
        s.IMAGE_SNAPSHOT_PENDING,
        s.IMAGE_PENDING_UPLOAD,
        s.IMAGE_UPLOADING,
    }
)


def recovery_for(instance: Instance) -> Recovery:
    """Nova's ``_init_instance`` rules, cut down to the tasks Stratus has."""
    if instance.deleted:
        return Recovery.NONE
    if instance.task_state == s.DELETING:
        return Recovery.DELETE
    if instance.vm_state == s.BUILDING:
        # NOTE: a build this agent had taken (spawning; or none of the scheduling states) is
        # lost with it; one still in ``scheduling`` may yet arrive from the bus, and the
        # conductor's stuck-work check fails it if it never does.
        return Recovery.NONE if instance.task_state == s.SCHEDULING else Recovery.ERROR
    if instance.task_state is None:
        return Recovery.NONE
    if instance.task_state in _RETRY:
        return _RETRY[instance.task_state]
    if instance.task_state in _CLEARABLE:
        return Recovery.CLEAR_TASK
    return Recovery.ERROR


# -- power-state sync -----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class PowerSync:
    """Changes for one instance: new ``power_state``, maybe a new ``vm_state``, maybe a stop."""

    power_state: int
    vm_state: str | None = None
    power_off: bool = False


_OFF = (s.SHUTDOWN, s.CRASHED)


def power_sync(instance: Instance, hypervisor_power: int | None) -> PowerSync | None:
    """What to change so the database matches the hypervisor; ``None``: nothing.

    ``hypervisor_power`` is ``None`` when the hypervisor does not know the instance: it counts as
    shut down, so a VM that vanished outside Stratus shows SHUTOFF (the user can start, rebuild
    or delete it). Callers skip instances with a task in progress.
    """
    power = s.SHUTDOWN if hypervisor_power is None else hypervisor_power
    vm = instance.vm_state
    if vm in (s.ACTIVE, s.PAUSED, s.SUSPENDED) and power in _OFF:
        return PowerSync(power, vm_state=s.STOPPED)
    if vm == s.ACTIVE and power == s.SUSPENDED_POWER:
        return PowerSync(s.SHUTDOWN, vm_state=s.STOPPED, power_off=True)
    if vm == s.STOPPED and power not in (*_OFF, s.NOSTATE):
        return PowerSync(s.SHUTDOWN, power_off=True)
    if power != instance.power_state:
        return PowerSync(power)
    return None
