"""Start, find and stop the QEMU process of one instance, without ever hitting another process.

QEMU runs in a session of its own, so instances keep running when the compute agent stops or
restarts; the agent finds them again from their pidfiles. QEMU does not ``-daemonize``: that
needs ``fork`` and ``setsid``, which its seccomp sandbox forbids, so ``launch`` starts it as a
child in a new session, waits until it answers on QMP and leaves a thread to reap it (after an
agent restart, init reaps it). A pid is trusted only while ``/proc/<pid>/cmdline`` is a
``qemu-system-*`` command line carrying ``-uuid <the instance's uuid>``: a stale pidfile whose
pid now belongs to some other program is ignored, never signalled. Signals go through a pidfd
opened after that check, so the pid cannot be recycled between check and signal.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from stratus.virt.driver import DriverError

PROC = Path("/proc")


def cmdline_matches(cmdline: bytes, uuid: str) -> bool:
    """Whether a NUL-separated ``/proc/<pid>/cmdline`` is the QEMU of instance ``uuid``."""
    args = cmdline.rstrip(b"\0").split(b"\0")
    if not args or not os.path.basename(args[0]).startswith(b"qemu-system-"):
        return False
    want = uuid.encode()
    return any(a == b"-uuid" and b == want for a, b in itertools.pairwise(args))


def _is_zombie(pid: int, proc: Path) -> bool:
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return True
    # the state follows the command name, which is in parentheses and may contain spaces
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def live_pid(pidfile: Path, uuid: str, proc: Path = PROC) -> int | None:
    """The pid of instance ``uuid``'s running QEMU, or None (no pidfile, exited, reused pid)."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    if not cmdline_matches(cmdline, uuid) or _is_zombie(pid, proc):
        return None
    return pid


def writes_own_console_log(pid: int, proc: Path = PROC) -> bool:
    """Whether QEMU ``pid`` was started with a chardev ``logfile`` (by an earlier release)."""
    try:
        return b"logfile=" in (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def _last_line(log_path: Path) -> str:
    try:
        lines = log_path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _open_log(log_path: Path) -> int:
    return os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)


def launch(
    argv: Sequence[str],
    log_path: Path,
    ready: Callable[[], bool],
    pass_fds: Sequence[int] = (),
    timeout: float = 60.0,
) -> int:
    """Start QEMU (output into ``log_path``) and return its pid once ``ready()`` says the VM is
    set up. Raises ``DriverError`` with QEMU's own last message when it exits first, and kills
    it when it is not ready within ``timeout`` seconds."""
    log = _open_log(log_path)
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=tuple(pass_fds),
            cwd="/",  # NOTE: as -daemonize did: never hold the agent's working directory
        )
    except OSError as exc:
        raise DriverError(f"could not start QEMU: {exc}") from exc
    finally:
        os.close(log)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not ready():
        if time.monotonic() >= deadline:
            proc.kill()
            proc.wait()
            raise DriverError(
                f"QEMU did not come up within {timeout:.0f} s: {_last_line(log_path)}"
            )
        time.sleep(0.05)
    if proc.returncode is not None:
        reason = _last_line(log_path) or f"exit status {proc.returncode}"
        raise DriverError(f"QEMU failed to start: {reason}")
    # NOTE: QEMU is our child until this agent exits; the thread reaps it when it stops
    threading.Thread(target=proc.wait, name=f"qemu-{proc.pid}", daemon=True).start()
    return proc.pid


def signal_instance(pidfile: Path, uuid: str, signum: int) -> bool:
    """Send ``signum`` to the instance's QEMU if it is running; returns whether it was."""
    pid = live_pid(pidfile, uuid)
    if pid is None:
        return False
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        if live_pid(pidfile, uuid) != pid:
            return False
        signal.pidfd_send_signal(fd, signum)
    except ProcessLookupError:
        return False
    finally:
        os.close(fd)
    return True


def wait_gone(pidfile: Path, uuid: str, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the instance's QEMU to exit; True if it did."""
    deadline = time.monotonic() + timeout
    while live_pid(pidfile, uuid) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def kill(pidfile: Path, uuid: str, grace: float = 5.0) -> None:
    """Stop the instance's QEMU now (SIGTERM, then SIGKILL after ``grace``). Idempotent."""
    if not signal_instance(pidfile, uuid, signal.SIGTERM):
        return
    if wait_gone(pidfile, uuid, grace):
        return
    signal_instance(pidfile, uuid, signal.SIGKILL)
    if not wait_gone(pidfile, uuid, 10):
        raise DriverError(f"QEMU of instance {uuid} did not exit after SIGKILL")


def remove_stale(*paths: Path) -> None:
    """Remove leftovers of an exited QEMU (sockets, pidfile). Missing files are fine."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
