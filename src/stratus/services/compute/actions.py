"""Server actions that run on the instance's host: power, pause, suspend, reboot, lock, reset
state, console output and the ones Stratus refuses (with Nova's answers).

Each function checks and records the change through ``ServerApi.transition`` (one transaction,
409 on a wrong state, instance action with the request id), then casts to the host; ``act``
does both and reverts the task state when the cast cannot be sent (503).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.db.models.compute import Instance
from stratus.db.repositories.compute import instances
from stratus.objects import states as s
from stratus.services.compute.servers import ServerApi, Transition
from stratus.services.network import server_ports

START = Transition("start", (s.STOPPED,), new_task_state=s.POWERING_ON, record="start")
STOP = Transition(
    "stop", (s.ACTIVE, s.ERROR, s.RESCUED), new_task_state=s.POWERING_OFF, record="stop"
)
PAUSE = Transition("pause", (s.ACTIVE,), new_task_state=s.PAUSING, record="pause")
UNPAUSE = Transition("unpause", (s.PAUSED,), new_task_state=s.UNPAUSING, record="unpause")
SUSPEND = Transition("suspend", (s.ACTIVE,), new_task_state=s.SUSPENDING, record="suspend")
RESUME = Transition("resume", (s.SUSPENDED,), new_task_state=s.RESUMING, record="resume")
SOFT_REBOOT = Transition("reboot", (s.ACTIVE,), new_task_state=s.REBOOTING, record="reboot")
_SOFT_REBOOT_TASKS = (s.REBOOTING, s.REBOOT_PENDING, s.REBOOT_STARTED)
HARD_REBOOT = Transition(
    "reboot",
    (s.ACTIVE, s.STOPPED, s.PAUSED, s.SUSPENDED, s.ERROR),
    task_states=(None, *_SOFT_REBOOT_TASKS),
    new_task_state=s.REBOOTING_HARD,
    record="reboot",
)
RESET_STATES = {"active": s.ACTIVE, "error": s.ERROR}


def start(api: ServerApi, uuid: str) -> None:
    api.act(uuid, START, lambda i: api.compute.start_instance(_host(i.host), i))


def stop(api: ServerApi, uuid: str) -> None:
    api.act(uuid, STOP, lambda i: api.compute.stop_instance(_host(i.host), i))


def pause(api: ServerApi, uuid: str) -> None:
    api.act(uuid, PAUSE, lambda i: api.compute.pause_instance(_host(i.host), i))


def unpause(api: ServerApi, uuid: str) -> None:
    api.act(uuid, UNPAUSE, lambda i: api.compute.unpause_instance(_host(i.host), i))


def suspend(api: ServerApi, uuid: str) -> None:
    api.act(uuid, SUSPEND, lambda i: api.compute.suspend_instance(_host(i.host), i))


def resume(api: ServerApi, uuid: str) -> None:
    api.act(uuid, RESUME, lambda i: api.compute.resume_instance(_host(i.host), i))


def reboot(api: ServerApi, uuid: str, reboot_type: str) -> None:
    """``SOFT`` (ACTIVE, idle) or ``HARD`` (also from SHUTOFF, PAUSED, SUSPENDED, ERROR)."""
    hard = reboot_type.upper() == "HARD"
    kind = "HARD" if hard else "SOFT"
    api.act(
        uuid,
        HARD_REBOOT if hard else SOFT_REBOOT,
        lambda i: api.compute.reboot_instance(_host(i.host), i, kind),
    )


def lock(api: ServerApi, uuid: str, reason: str | None) -> None:
    by = "admin" if api.is_admin else "owner"

    def apply(_session: Session, row: Instance) -> None:
        row.locked = True
        row.locked_by = by
        row.locked_reason = reason

    api.transition(
        uuid,
        Transition("lock", None, None, record="lock", check_lock=False, needs_host=False),
        apply,
    )


def unlock(api: ServerApi, uuid: str, may_override: bool) -> None:
    """403 when an admin locked it and the caller may not override that (Nova's rule)."""

    def apply(_session: Session, row: Instance) -> None:
        if row.locked and row.locked_by == "admin" and not may_override:
            raise exceptions.Forbidden(
                "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override "
                "to be performed."
            )
        row.locked = False
        row.locked_by = None
        row.locked_reason = None

    api.transition(
        uuid,
        Transition("unlock", None, None, record="unlock", check_lock=False, needs_host=False),
        apply,
    )


def reset_state(api: ServerApi, uuid: str, state: str) -> None:
    """Admin ``os-resetState``: vm_state active|error, task state cleared."""

    def apply(_session: Session, row: Instance) -> None:
        row.vm_state = RESET_STATES[state]
        row.task_state = None

    api.transition(
        uuid,
        Transition("resetState", None, None, check_lock=False, needs_host=False),
        apply,
    )


def console_output(api: ServerApi, uuid: str, length: int | None) -> str:
    """The last ``length`` lines (all when None) of the console log, from the host."""
    with api.db.read() as session:
        row = api.load(session, uuid)
        host = api.check_host(session, row)
        instance = instances.to_object(session, row)
    output = api.compute.get_console_output(host, instance, length)
    if length is not None:
        lines = output.splitlines(keepends=True)
        output = "".join(lines[-length:]) if length > 0 else ""
    return output


def inject_network_info(api: ServerApi, uuid: str) -> None:
    """Checked like Nova (a host that is up, not locked) and recorded; nothing to send."""
    api.transition(uuid, Transition("inject_network_info", None, None))


def change_password(api: ServerApi, uuid: str) -> None:
    """Setting the guest password needs a guest agent no Stratus driver has: 501 after the
    state check (Nova answers the same for drivers that cannot do it)."""
    api.transition(uuid, Transition("changePassword", (s.ACTIVE,), record=None))
    raise exceptions.NotImplementedYet(
        "Unable to set password on instance: not supported by the hypervisor driver."
    )


def restore(api: ServerApi, uuid: str) -> None:
    """``restore`` brings back soft-deleted servers, which Stratus never keeps (deletes are
    immediate), so it can only be Nova's 409 for a server in another state."""
    api.transition(uuid, Transition("restore", (s.SOFT_DELETED,), None, needs_host=False))


def _host(host: str | None) -> str:
    assert host is not None, "transition() checked the instance has a host"
    return host


def security_group(api: ServerApi, uuid: str, name: str, add: bool) -> None:
    """``addSecurityGroup`` / ``removeSecurityGroup``: the network service changes the
    server's ports (404 unknown group, 400 not associated / no port security)."""
    with api.db.write() as session:
        row = api.load(session, uuid, lock=True)
        if add:
            server_ports.add_security_group(session, uuid, row.project_id, name)
        else:
            server_ports.remove_security_group(session, uuid, row.project_id, name)
