"""Server ``status`` from ``vm_state`` + ``task_state``, exactly as Nova maps them, and back
(for ``GET /servers?status=...``); plus the state rules of server actions.

``STATUS_MAP[vm_state]`` maps a task state (or ``DEFAULT`` when none of the listed ones applies)
to the status the API shows; an unknown vm_state shows ``UNKNOWN``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from stratus.common import exceptions
from stratus.objects import states as s

DEFAULT = "default"

_REBUILD: dict[str | None, str] = {
    s.REBUILDING: "REBUILD",
    s.REBUILD_SPAWNING: "REBUILD",
    "rebuild_block_device_mapping": "REBUILD",
}
_RESIZE: dict[str | None, str] = {
    s.RESIZE_PREP: "RESIZE",
    s.RESIZE_MIGRATING: "RESIZE",
    s.RESIZE_MIGRATED: "RESIZE",
    s.RESIZE_FINISH: "RESIZE",
}

STATUS_MAP: dict[str, dict[str | None, str]] = {
    s.ACTIVE: {
        DEFAULT: "ACTIVE",
        s.REBOOTING: "REBOOT",
        s.REBOOT_PENDING: "REBOOT",
        s.REBOOT_STARTED: "REBOOT",
        s.REBOOTING_HARD: "HARD_REBOOT",
        s.REBOOT_PENDING_HARD: "HARD_REBOOT",
        s.REBOOT_STARTED_HARD: "HARD_REBOOT",
        s.UPDATING_PASSWORD: "PASSWORD",
        s.MIGRATING: "MIGRATING",
        **_REBUILD,
        **_RESIZE,
    },
    s.BUILDING: {DEFAULT: "BUILD"},
    s.STOPPED: {DEFAULT: "SHUTOFF", **_RESIZE, **_REBUILD},
    s.RESIZED: {DEFAULT: "VERIFY_RESIZE", s.RESIZE_REVERTING: "REVERT_RESIZE"},
    s.PAUSED: {DEFAULT: "PAUSED", s.MIGRATING: "MIGRATING"},
    s.SUSPENDED: {DEFAULT: "SUSPENDED"},
    s.RESCUED: {DEFAULT: "RESCUE"},
    s.ERROR: {DEFAULT: "ERROR", **_REBUILD},
    s.DELETED: {DEFAULT: "DELETED"},
    s.SOFT_DELETED: {DEFAULT: "SOFT_DELETED"},
    s.SHELVED: {DEFAULT: "SHELVED"},
    s.SHELVED_OFFLOADED: {DEFAULT: "SHELVED_OFFLOADED"},
}


def status(vm_state: str, task_state: str | None, deleted: bool = False) -> str:
    """The API ``status`` of an instance."""
    if deleted:
        return "DELETED"
    task_map = STATUS_MAP.get(vm_state, {DEFAULT: "UNKNOWN"})
    return task_map.get(task_state, task_map[DEFAULT])


def states_for(statuses: Iterable[str]) -> tuple[list[str], list[str | None] | None]:
    """``(vm_states, task_states)`` showing one of ``statuses`` (case-insensitive).

    ``task_states`` is None when any vm_state's default applies (no task-state filter needed,
    as Nova does); both lists are empty when no status matches.
    """
    wanted = {x.lower() for x in statuses}
    vm_states: set[str] = set()
    task_states: set[str | None] = set()
    for vm_state, task_map in STATUS_MAP.items():
        for task_state, shown in task_map.items():
            if shown.lower() in wanted:
                vm_states.add(vm_state)
                task_states.add(task_state)
    if DEFAULT in task_states:
        return sorted(vm_states), None
    return sorted(vm_states), sorted(task_states, key=lambda t: t or "")


def check(
    action: str,
    uuid: str,
    vm_state: str,
    task_state: str | None,
    vm_states: Sequence[str] | None,
    task_states: Sequence[str | None] | None = (None,),
) -> None:
    """409 like Nova's ``check_instance_state`` unless the instance may do ``action`` now."""
    if vm_states is not None and vm_state not in vm_states:
        raise exceptions.Conflict(
            f"Cannot '{action}' instance {uuid} while it is in vm_state {vm_state}"
        )
    if task_states is not None and task_state not in task_states:
        raise exceptions.Conflict(
            f"Cannot '{action}' instance {uuid} while it is in task_state {task_state}"
        )
