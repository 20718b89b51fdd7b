"""The conductor's stuck-work rules (``stratus.conductor.stuck``): what is abandoned, and
what settles it."""

from __future__ import annotations

import datetime as dt

import pytest

from stratus.conductor.stuck import Timeouts, Verdict, build_timeout_message, verdict
from stratus.objects import states as s
from stratus.services.image.stale_uploads import is_stale

NOW = dt.datetime(2026, 1, 1, 12, 0, 0)
LIMITS = Timeouts(build=600, task=900)


@pytest.mark.parametrize(
    ("vm_state", "task_state", "age", "expected"),
    [
        (s.BUILDING, s.SCHEDULING, 601, Verdict.FAIL_BUILD),
        (s.BUILDING, s.SCHEDULING, 599, None),
        (s.BUILDING, s.SPAWNING, 601, Verdict.FAIL_BUILD),
        (s.BUILDING, None, 601, Verdict.FAIL_BUILD),
        (s.BUILDING, s.DELETING, 601, None),
        (s.BUILDING, s.DELETING, 901, Verdict.FINISH_DELETE),
        (s.ACTIVE, s.DELETING, 901, Verdict.FINISH_DELETE),
        (s.ERROR, s.DELETING, 899, None),
        (s.ACTIVE, s.POWERING_OFF, 901, Verdict.CLEAR_TASK),
        (s.ACTIVE, s.POWERING_OFF, 700, None),
        (s.ACTIVE, s.IMAGE_UPLOADING, 901, Verdict.CLEAR_TASK),
        (s.ACTIVE, s.RESIZE_PREP, 901, Verdict.CLEAR_TASK),
        (s.ACTIVE, s.RESIZE_MIGRATING, 901, Verdict.FAIL_TASK),
        (s.RESIZED, s.RESIZE_REVERTING, 901, Verdict.FAIL_TASK),
        (s.ACTIVE, s.REBUILD_SPAWNING, 901, Verdict.FAIL_TASK),
        (s.ACTIVE, None, 10_000, None),
        (s.ERROR, None, 10_000, None),
    ],
)
def test_verdict(vm_state: str, task_state: str | None, age: int, expected: Verdict | None) -> None:
    last = NOW - dt.timedelta(seconds=age)
    assert verdict(vm_state, task_state, last, NOW, LIMITS) is expected


def test_build_fault_says_what_happened() -> None:
    message = build_timeout_message("i-1", s.SCHEDULING, 600)
    assert message.startswith(
        "Build of instance i-1 timed out after 600 s in task state 'scheduling': "
        "no service worked on it"
    )


@pytest.mark.parametrize(
    ("staged", "expected"), [(None, True), (100.0, True), (200.0, False), (150.0, False)]
)
def test_upload_is_stale_without_recent_staged_data(staged: float | None, expected: bool) -> None:
    assert is_stale(staged, cutoff=150.0) is expected
