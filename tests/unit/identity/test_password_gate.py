"""The bound on concurrent password checks: who gets a slot, who waits, who is refused."""

from __future__ import annotations

import threading

import pytest
from tests.fixtures.waiting import scaled, wait_until

from stratus.identity import password_gate
from stratus.identity.password_gate import PasswordChecksBusy, PasswordGate


def test_beyond_limit_and_queue_is_refused_with_retry_after() -> None:
    gate = PasswordGate(limit=2, queue=0)
    with gate.slot(), gate.slot():
        assert gate.running == 2
        with pytest.raises(PasswordChecksBusy) as info, gate.slot():
            pass
    assert info.value.retry_after == 1 and gate.running == 0
    with gate.slot():
        assert gate.running == 1


def test_a_waiter_gets_the_slot_when_it_is_freed() -> None:
    gate = PasswordGate(limit=1, queue=1, max_wait=scaled(60))
    done = threading.Event()

    def waiter() -> None:
        with gate.slot():
            done.set()

    with gate.slot():
        thread = threading.Thread(target=waiter, daemon=True)
        thread.start()
        wait_until(lambda: gate.waiting == 1, scaled(30), "the second check to queue")
        with pytest.raises(PasswordChecksBusy), gate.slot():
            pass
        assert not done.is_set()
    wait_until(done.is_set, scaled(30), "the queued check to run")
    thread.join(scaled(30))
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_waiter_gives_up_after_max_wait() -> None:
    gate = PasswordGate(limit=1, queue=1, max_wait=0.01)
    with gate.slot():
        with pytest.raises(PasswordChecksBusy), gate.slot():
            pass
        assert (gate.running, gate.waiting) == (1, 0)
    assert (gate.running, gate.waiting) == (0, 0)


def test_shared_gates_are_per_setting_and_zero_means_cpu_count() -> None:
    assert password_gate.shared(3, 4) is password_gate.shared(3, 4)
    assert password_gate.shared(3, 4) is not password_gate.shared(3, 5)
    assert password_gate.shared(0, 4).limit == password_gate.default_limit() >= 1
