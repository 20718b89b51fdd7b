"""Which confinement a host allows: user switch and seccomp, each falling back with a log line."""

from __future__ import annotations

import logging
import shutil

import pytest

from stratus.virt.qemu import confine
from stratus.virt.qemu.confine import Confinement

QEMU = "qemu-system-x86_64"


def accepts(_qemu: str, _option: str) -> str | None:
    return None


def refuses(_qemu: str, _option: str) -> str | None:
    return "-sandbox on: seccomp support is disabled"


def test_root_with_the_user_switches_and_filters() -> None:
    seen: list[str] = []

    def probe(_qemu: str, option: str) -> str | None:
        seen.append(option)
        return None

    got = confine.decide("stratus-qemu", True, QEMU, euid=0, exists=lambda _u: True, probe=probe)
    assert got == Confinement(runas="stratus-qemu", sandbox=True)
    assert seen == [confine.sandbox_option(True)]  # the option QEMU will really get


@pytest.mark.parametrize(
    ("user", "euid", "exists", "why"),
    [
        ("stratus-qemu", 0, False, "there is no user 'stratus-qemu' on this host"),
        ("stratus-qemu", 1000, True, "the agent runs as uid 1000, not root"),
        ("", 0, True, "[qemu] user is empty"),
    ],
)
def test_no_user_switch_where_the_host_does_not_allow_it(
    user: str, euid: int, exists: bool, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="stratus.virt.qemu.confine"):
        got = confine.decide(user, True, QEMU, euid=euid, exists=lambda _u: exists, probe=accepts)
    assert got == Confinement(runas=None, sandbox=True)
    assert why in caplog.text
    # without the switch, QEMU may not change its user ids at all
    assert "elevateprivileges=deny" in " ".join(got.argv())


def test_a_qemu_without_seccomp_runs_unfiltered(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="stratus.virt.qemu.confine"):
        got = confine.decide("u", True, QEMU, euid=0, exists=lambda _u: True, probe=refuses)
    assert got == Confinement(runas="u", sandbox=False)
    assert "seccomp support is disabled" in caplog.text
    off = confine.decide("u", False, QEMU, euid=0, exists=lambda _u: True, probe=refuses)
    assert off == Confinement(runas="u", sandbox=False)


@pytest.mark.skipif(shutil.which(QEMU) is None, reason="needs qemu-system-x86_64")
def test_this_qemu_accepts_the_sandbox_options_it_is_given() -> None:
    # NOTE: -version: QEMU checks the option and exits; no VM starts
    assert confine.sandbox_problem(QEMU, confine.sandbox_option(True)) is None
    assert confine.sandbox_problem(QEMU, confine.sandbox_option(False)) is None
    assert "bogus" in (confine.sandbox_problem(QEMU, "on,bogus=deny") or "")
    assert confine.sandbox_problem("/nonexistent/qemu", "on") is not None


def test_user_exists() -> None:
    assert confine.user_exists("root")
    assert not confine.user_exists("no-such-user-stratus")
