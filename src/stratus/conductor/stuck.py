"""Which instances hold work that nobody does any more, and what finishes it (pure; no I/O).

An instance's ``updated_at`` moves whenever a service works on it: the API sets the task state,
the conductor binds the host, the agent moves the task state and touches the instances it works
on every ``[conductor] progress_interval`` seconds. Work whose instance has not changed for
the timeout is therefore work no live process owns (its process died, its message was lost):
:func:`verdict` says how :mod:`stratus.conductor.recovery` settles it, as Nova's
``_init_instance`` settles what a restarted compute service finds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from stratus.objects import states as s


class Verdict(enum.Enum):
    FAIL_BUILD = "fail_build"  # ERROR + fault; claims and ports freed unless it reached a host
    FINISH_DELETE = "finish_delete"  # delete locally (host down) or cast the delete again
    CLEAR_TASK = "clear_task"  # task_state -> None, vm_state kept (the power sync reconciles)
    FAIL_TASK = "fail_task"  # interrupted half-way (resize, rebuild): ERROR + fault


# NOTE: these leave the guest half-moved or half-rebuilt; the agents' own failure path for them
# is ERROR too (``lifecycle.TRANSITIONS`` on_failure "error").
_HALF_DONE = frozenset(
    {
        s.RESIZE_MIGRATING,
        s.RESIZE_MIGRATED,
        s.RESIZE_FINISH,
        s.RESIZE_REVERTING,
        s.RESIZE_CONFIRMING,
        s.REBUILDING,
        s.REBUILD_SPAWNING,
    }
)
# task states in which a build may have left something on its host (a guest, plugged ports)
ON_HOST_BUILD_STATES = frozenset({s.SPAWNING, s.NETWORKING, s.BLOCK_DEVICE_MAPPING})


@dataclasses.dataclass(frozen=True)
class Timeouts:
    """Seconds without progress after which work counts as abandoned (``[conductor]``)."""

    build: int
    task: int

    def shortest(self) -> int:
        return min(self.build, self.task)


def verdict(
    vm_state: str,
    task_state: str | None,
    last_change: dt.datetime,
    now: dt.datetime,
    timeouts: Timeouts,
) -> Verdict | None:
    """What to do with a live instance last changed at ``last_change``; ``None``: leave it."""
    age = (now - last_change).total_seconds()
    if vm_state == s.BUILDING:
        if task_state == s.DELETING:
            return Verdict.FINISH_DELETE if age > timeouts.task else None
        return Verdict.FAIL_BUILD if age > timeouts.build else None
    if task_state is None or age <= timeouts.task:
        return None
    if task_state == s.DELETING:
        return Verdict.FINISH_DELETE
    if task_state in _HALF_DONE:
        return Verdict.FAIL_TASK
    return Verdict.CLEAR_TASK


def build_timeout_message(uuid: str, task_state: str | None, timeout: int) -> str:
    """The fault of a build nobody finished."""
    return (
        f"Build of instance {uuid} timed out after {timeout} s in task state "
        f"'{task_state or 'none'}': no service worked on it (the conductor, scheduler or "
        "compute service may have stopped, or the request was lost)."
    )


def build_interrupted_message(uuid: str) -> str:
    """The fault of a build the restart of an all-in-one cloud interrupted."""
    return (
        f"Build of instance {uuid} interrupted: the cloud restarted before the build reached "
        "its compute host (the in-process message bus keeps no messages across restarts)."
    )


def task_timeout_message(task_state: str, timeout: int) -> str:
    """The fault or event text of another task nobody finished."""
    return (
        f"Task '{task_state}' timed out after {timeout} s: no service finished it (the "
        "service doing it may have stopped, or the request was lost)."
    )
