"""Server status from vm_state + task_state, and back (Nova's state map)."""

from __future__ import annotations

import pytest

from stratus.common import exceptions
from stratus.objects import states as s
from stratus.services.compute import server_status


@pytest.mark.parametrize(
    ("vm_state", "task_state", "status"),
    [
        (s.BUILDING, s.SCHEDULING, "BUILD"),
        (s.ACTIVE, None, "ACTIVE"),
        (s.ACTIVE, s.REBOOTING, "REBOOT"),
        (s.ACTIVE, s.REBOOTING_HARD, "HARD_REBOOT"),
        (s.ACTIVE, s.RESIZE_PREP, "RESIZE"),
        (s.ACTIVE, s.REBUILDING, "REBUILD"),
        (s.ACTIVE, s.MIGRATING, "MIGRATING"),
        (s.ACTIVE, s.POWERING_OFF, "ACTIVE"),
        (s.ACTIVE, s.IMAGE_UPLOADING, "ACTIVE"),
        (s.STOPPED, None, "SHUTOFF"),
        (s.STOPPED, s.RESIZE_MIGRATING, "RESIZE"),
        (s.RESIZED, None, "VERIFY_RESIZE"),
        (s.RESIZED, s.RESIZE_REVERTING, "REVERT_RESIZE"),
        (s.PAUSED, None, "PAUSED"),
        (s.SUSPENDED, None, "SUSPENDED"),
        (s.ERROR, None, "ERROR"),
        (s.ERROR, s.REBUILDING, "REBUILD"),
        (s.DELETED, None, "DELETED"),
        (s.SHELVED_OFFLOADED, None, "SHELVED_OFFLOADED"),
        ("no-such-state", None, "UNKNOWN"),
    ],
)
def test_status(vm_state, task_state, status):
    assert server_status.status(vm_state, task_state) == status


def test_deleted_rows_are_deleted_whatever_their_state():
    assert server_status.status(s.ACTIVE, None, deleted=True) == "DELETED"


def test_states_for_a_default_status_need_no_task_filter():
    vm_states, task_states = server_status.states_for(["active"])
    assert vm_states == [s.ACTIVE]
    assert task_states is None


def test_states_for_a_task_status():
    vm_states, task_states = server_status.states_for(["HARD_REBOOT"])
    assert vm_states == [s.ACTIVE]
    assert task_states == sorted([s.REBOOTING_HARD, s.REBOOT_PENDING_HARD, s.REBOOT_STARTED_HARD])


def test_states_for_several_and_unknown():
    vm_states, _ = server_status.states_for(["SHUTOFF", "ERROR"])
    assert vm_states == sorted([s.STOPPED, s.ERROR])
    assert server_status.states_for(["BOGUS"]) == ([], [])


def test_check_names_the_offending_state():
    server_status.check("stop", "u1", s.ACTIVE, None, (s.ACTIVE,))
    with pytest.raises(exceptions.Conflict, match="Cannot 'stop' instance u1 while it is in "
                       "vm_state stopped"):  # fmt: skip
        server_status.check("stop", "u1", s.STOPPED, None, (s.ACTIVE,))
    with pytest.raises(exceptions.Conflict, match="while it is in task_state powering-off"):
        server_status.check("stop", "u1", s.ACTIVE, s.POWERING_OFF, (s.ACTIVE,))
    server_status.check("lock", "u1", s.ERROR, s.DELETING, None, None)
