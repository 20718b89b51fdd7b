"""One instance's QEMU process: start, graceful and hard stop, save to a file and restore.

Stateless apart from the QEMU binary and how to run it (``exec_prefix``, e.g. inside a network
namespace; ``confinement``, the user and seccomp filter) and the console log pump; everything
about an instance is read from its ``InstanceDir`` and pidfile, so a restarted compute agent
picks up where the previous one stopped.

A start is: launch QEMU paused, wait until it answers on QMP, connect the console log, then
``cont`` (a resume from a saved state continues once the state is loaded instead).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from stratus.objects import states
from stratus.virt.driver import DriverError
from stratus.virt.qemu import process
from stratus.virt.qemu.confine import Confinement
from stratus.virt.qemu.console_log import ConsolePump
from stratus.virt.qemu.domain import DomainSpec, build_argv
from stratus.virt.qemu.layout import InstanceDir
from stratus.virt.qemu.qmp import QMPClient, QMPError

LOG = logging.getLogger(__name__)

# QEMU run state -> power_state (anything else: the VM exists but does not execute)
POWER_STATES = {
    "running": states.RUNNING,
    "paused": states.PAUSED_POWER,
    "shutdown": states.SHUTDOWN,
    "guest-panicked": states.CRASHED,
    "internal-error": states.CRASHED,
}


def power_state_of(qemu_status: str | None, suspended: bool) -> int:
    """The power state for a QEMU run state (None: no process)."""
    if qemu_status is None:
        return states.SUSPENDED_POWER if suspended else states.SHUTDOWN
    return POWER_STATES.get(qemu_status, states.PAUSED_POWER)


class Runtime:
    def __init__(
        self,
        qemu: str,
        exec_prefix: Callable[[], list[str]],
        console: ConsolePump | None = None,
        confinement: Confinement | None = None,
    ) -> None:
        self.qemu = qemu
        self.exec_prefix = exec_prefix
        self.console = console or ConsolePump()
        self.confinement = confinement or Confinement()

    def pid(self, d: InstanceDir, uuid: str) -> int | None:
        return process.live_pid(d.pidfile, uuid)

    def qmp(self, d: InstanceDir) -> QMPClient:
        return QMPClient(d.qmp_socket)

    def status(self, d: InstanceDir, uuid: str) -> str | None:
        """QEMU's run state, or None when no QEMU runs for the instance."""
        if self.pid(d, uuid) is None:
            return None
        try:
            with self.qmp(d) as qmp:
                return qmp.status()
        except QMPError:
            # NOTE: exited between the pid check and the query, or still starting up
            return None if self.pid(d, uuid) is None else "unknown"

    def _answers(self, d: InstanceDir) -> bool:
        """Whether QEMU serves QMP yet (it does once the VM is set up)."""
        try:
            with QMPClient(d.qmp_socket, timeout=2.0) as qmp:
                qmp.status()
        except QMPError:
            return False
        return True

    def start(self, spec: DomainSpec, d: InstanceDir, incoming: Path | None = None) -> None:
        """Start the instance's QEMU unless it already runs (from ``incoming``: paused)."""
        if self.pid(d, spec.uuid) is not None:
            return
        if (sock := d.too_long_socket()) is not None:
            raise DriverError(f"socket path too long for the kernel: {sock}")
        d.run.mkdir(parents=True, exist_ok=True)
        self._clean(d)
        self.console.forget(spec.uuid)  # NOTE: the last words of the previous QEMU, if any
        with contextlib.ExitStack() as stack:
            state_fd = None
            if incoming is not None:
                state_fd = os.open(incoming, os.O_RDONLY | os.O_CLOEXEC)
                stack.callback(os.close, state_fd)
            argv = build_argv(spec, d, self.qemu, state_fd, self.confinement)
            process.launch(
                [*self.exec_prefix(), *argv],
                d.qemu_log,
                lambda: self._answers(d),
                pass_fds=() if state_fd is None else (state_fd,),
            )
        if self.pid(d, spec.uuid) is None:
            raise DriverError(f"QEMU of instance {spec.uuid} exited right after it started")
        self.console.watch(spec.uuid, d.serial_socket, d.console_log)
        if incoming is None:
            with self.qmp(d) as qmp:
                qmp.cont()

    def attach_console(self, d: InstanceDir, uuid: str) -> None:
        """Copy a running guest's console into its log again (after an agent restart)."""
        pid = self.pid(d, uuid)
        if pid is None:
            return
        if process.writes_own_console_log(pid):
            # NOTE: started by an earlier release (chardev logfile=): two writers would double
            # every line; the cap applies from the guest's next start
            LOG.info("instance %s: QEMU writes its own console log until it restarts", uuid)
            return
        self.console.watch(uuid, d.serial_socket, d.console_log)

    def _clean(self, d: InstanceDir) -> None:
        process.remove_stale(d.pidfile, d.qmp_socket, d.serial_socket, d.vnc_socket)

    def kill(self, d: InstanceDir, uuid: str) -> None:
        """Stop now (like pulling the plug). Idempotent."""
        process.kill(d.pidfile, uuid)
        self.console.forget(uuid)
        self._clean(d)

    def shutdown(self, d: InstanceDir, uuid: str, timeout: float) -> bool:
        """ACPI power button, then kill after ``timeout``; True if the guest shut down itself."""
        status = self.status(d, uuid)
        if status is None:
            self._clean(d)
            return True
        graceful = False
        if status == "running" and timeout > 0:
            with contextlib.suppress(QMPError), self.qmp(d) as qmp:
                qmp.system_powerdown()
            graceful = process.wait_gone(d.pidfile, uuid, timeout)
        self.kill(d, uuid)
        return graceful

    def save(self, d: InstanceDir, uuid: str) -> None:
        """Suspend: pause, write memory and device state to ``saved_state``, exit."""
        partial = d.saved_state.with_suffix(".part")
        with self.qmp(d) as qmp:
            qmp.stop()
            try:
                qmp.save_to_file(partial)
            except QMPError:
                qmp.cont()
                partial.unlink(missing_ok=True)
                raise
            partial.replace(d.saved_state)
            qmp.quit()
        if not process.wait_gone(d.pidfile, uuid, 30):
            self.kill(d, uuid)
        self.console.forget(uuid)
        self._clean(d)

    def restore(self, spec: DomainSpec, d: InstanceDir, timeout: float = 300) -> None:
        """Resume: start from ``saved_state``, let it run, then drop the file."""
        if not d.saved_state.exists():
            raise DriverError(f"instance {spec.uuid} has no saved state to resume from")
        self.start(spec, d, incoming=d.saved_state)
        deadline = time.monotonic() + timeout
        with self.qmp(d) as qmp:
            while (status := qmp.status()) == "inmigrate":
                if time.monotonic() > deadline:
                    raise DriverError(f"restoring instance {spec.uuid} took over {timeout:.0f} s")
                time.sleep(0.1)
            if status != "running":
                qmp.cont()
        d.saved_state.unlink()
