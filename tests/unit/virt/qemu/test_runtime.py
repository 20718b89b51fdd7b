"""QEMU run states as power states."""

from __future__ import annotations

from stratus.objects import states
from stratus.virt.qemu.runtime import power_state_of


def test_power_state_of() -> None:
    assert power_state_of("running", False) == states.RUNNING
    assert power_state_of("paused", False) == states.PAUSED_POWER
    assert power_state_of("inmigrate", False) == states.PAUSED_POWER
    assert power_state_of("shutdown", False) == states.SHUTDOWN
    assert power_state_of("guest-panicked", False) == states.CRASHED
    assert power_state_of(None, False) == states.SHUTDOWN  # killed outside Stratus: SHUTOFF
    assert power_state_of(None, True) == states.SUSPENDED_POWER
