"""How much a compromised QEMU could do: an unprivileged user and a seccomp filter.

A guest that breaks out of its emulated hardware runs code as its QEMU process, so QEMU runs

* as an unprivileged system user (``[qemu] user``, ``stratus-qemu`` by default, which
  ``tools/install-deps.sh`` creates), with QEMU's ``-runas``: QEMU opens everything it needs as
  root first (disks and their backing files, ``/dev/kvm``, ``/dev/net/tun`` and the tap devices,
  its listening sockets, the pidfile), then switches user before the guest runs its first
  instruction. Because the files are opened before the switch, the user needs no access to the
  data directory (which is private to root) and nothing on the host is chowned to it;
* under QEMU's seccomp filter (``-sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny,...``):
  no ``fork``/``exec`` (so also no ``exec:`` migration: suspend hands QEMU an open file instead),
  no obsolete system calls, no scheduler or NUMA policy changes.

``elevateprivileges=deny`` is set only when QEMU does not switch user: QEMU installs its filter
before it drops privileges, and with ``deny`` (or ``children``) its own ``setgid``/``setuid``
kill it (QEMU 7.2: SIGSYS). After the switch QEMU holds no capability and runs with
``no_new_privs`` (set by the filter), so ``set*id`` calls cannot give it anything back.

Fallbacks never fail a guest, they are logged once at start: an agent that is not root cannot
switch user (QEMU already runs unprivileged, as the agent's user); a missing user leaves QEMU
as root; a QEMU built without seccomp (or ``[qemu] seccomp_sandbox = false``) runs unfiltered.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pwd
import subprocess
from collections.abc import Callable

LOG = logging.getLogger(__name__)

DEFAULT_USER = "stratus-qemu"


def sandbox_option(switches_user: bool) -> str:
    """The ``-sandbox`` value (``elevateprivileges`` must allow QEMU's own ``-runas``)."""
    elevate = "allow" if switches_user else "deny"
    return f"on,obsolete=deny,elevateprivileges={elevate},spawn=deny,resourcecontrol=deny"


@dataclasses.dataclass(frozen=True)
class Confinement:
    """What ``build_argv`` adds: ``-sandbox`` and ``-runas`` (nothing for the default)."""

    runas: str | None = None
    sandbox: bool = False

    def argv(self) -> list[str]:
        args: list[str] = []
        if self.sandbox:
            args += ["-sandbox", sandbox_option(self.runas is not None)]
        if self.runas:
            args += ["-runas", self.runas]
        return args


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def sandbox_problem(qemu: str, option: str) -> str | None:
    """None when ``qemu`` accepts ``-sandbox option``, else its complaint.

    QEMU checks ``-sandbox`` while it parses its options, before ``-version`` makes it exit,
    so this starts no VM.
    """
    try:
        proc = subprocess.run(
            [qemu, "-sandbox", option, "-version"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def _runas(user: str, euid: int, exists: Callable[[str], bool]) -> str | None:
    if not user:
        LOG.warning("qemu driver: [qemu] user is empty: QEMU keeps the agent's user (uid %d)", euid)
        return None
    if euid != 0:
        LOG.info(
            "qemu driver: the agent runs as uid %d, not root: QEMU runs as that user (not %s)",
            euid,
            user,
        )
        return None
    if not exists(user):
        LOG.warning(
            "qemu driver: there is no user %r on this host, so QEMU runs as root "
            "(tools/install-deps.sh creates it)",
            user,
        )
        return None
    return user


def decide(
    user: str,
    sandbox: bool,
    qemu: str,
    euid: int | None = None,
    exists: Callable[[str], bool] = user_exists,
    probe: Callable[[str, str], str | None] = sandbox_problem,
) -> Confinement:
    """The confinement this host allows for ``[qemu] user`` / ``seccomp_sandbox``; logs why
    any part of it is left out."""
    runas = _runas(user, os.geteuid() if euid is None else euid, exists)
    use_sandbox = False
    if not sandbox:
        LOG.warning("qemu driver: [qemu] seccomp_sandbox = false: QEMU runs without seccomp")
    elif (problem := probe(qemu, sandbox_option(runas is not None))) is not None:
        LOG.warning("qemu driver: QEMU refuses -sandbox (%s): it runs without seccomp", problem)
    else:
        use_sandbox = True
    LOG.info(
        "qemu driver: QEMU runs as %s, seccomp sandbox %s",
        runas or "the agent's user",
        "on" if use_sandbox else "off",
    )
    return Confinement(runas=runas, sandbox=use_sandbox)


__all__ = ["DEFAULT_USER", "Confinement", "decide", "sandbox_option"]
