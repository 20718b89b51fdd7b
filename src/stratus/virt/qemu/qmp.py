"""A minimal, synchronous QMP client (QEMU Machine Protocol over a unix socket).

One connection per operation::

    with QMPClient(paths.qmp_socket) as qmp:
        qmp.stop()
        print(qmp.status())          # "paused"

QMP speaks one JSON object per line: a greeting, then replies (``return`` or ``error``) to our
commands, interleaved with asynchronous ``event`` messages, which this client skips. QEMU
serves one QMP client at a time per socket; the driver serialises operations per instance.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from stratus.virt.driver import DriverError

STATE_FD = "statefile"  # the name QEMU knows the suspend file's descriptor by


class QMPError(DriverError):
    """QEMU refused a command, or the QMP socket could not be used."""

    message = "The QEMU monitor failed."


class QMPClient:
    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._buf = b""

    # ------------------------------------------------------------------ connection

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except OSError as exc:
            sock.close()
            raise QMPError(f"cannot connect to QMP socket {self.path}: {exc}") from exc
        self._sock = sock
        greeting = self._read()
        if "QMP" not in greeting:
            self.close()
            raise QMPError(f"unexpected QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> QMPClient:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read(self) -> dict[str, Any]:
        """The next message; raises ``QMPError`` on EOF or timeout."""
        assert self._sock is not None
        while b"\n" not in self._buf:
            try:
                chunk = self._sock.recv(65536)
            except OSError as exc:
                raise QMPError(f"QMP socket {self.path}: {exc}") from exc
            if not chunk:
                raise QMPError(f"QMP socket {self.path} closed by QEMU")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise QMPError(f"unexpected QMP message: {line[:200]!r}")
        return message

    def execute(
        self, command: str, arguments: dict[str, Any] | None = None, fds: Sequence[int] = ()
    ) -> Any:
        """Run ``command``; returns its ``return`` value, raises ``QMPError`` with QEMU's
        ``desc`` if it answered ``error``. ``fds`` go along with the command (``SCM_RIGHTS``)."""
        if self._sock is None:
            raise QMPError("QMP client is not connected")
        request: dict[str, Any] = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        data = json.dumps(request).encode() + b"\n"
        try:
            if fds:
                # NOTE: QEMU takes the fds from the message that carries the command's first byte
                sent = socket.send_fds(self._sock, [data], list(fds))
                self._sock.sendall(data[sent:])
            else:
                self._sock.sendall(data)
        except OSError as exc:
            raise QMPError(f"QMP socket {self.path}: {exc}") from exc
        while True:
            reply = self._read()
            if "event" in reply:
                continue
            if "error" in reply:
                error = reply["error"]
                desc = error.get("desc", error) if isinstance(error, dict) else error
                raise QMPError(f"QEMU refused {command}: {desc}")
            if "return" in reply:
                return reply["return"]

    # ------------------------------------------------------------------ commands

    def status(self) -> str:
        """QEMU's run state: ``running``, ``paused``, ``shutdown``, ``inmigrate``, ..."""
        result = self.execute("query-status")
        return str(result["status"])

    def system_powerdown(self) -> None:
        """Press the ACPI power button (the guest decides what to do)."""
        self.execute("system_powerdown")

    def system_reset(self) -> None:
        """Hard reset, like the reset button."""
        self.execute("system_reset")

    def stop(self) -> None:
        self.execute("stop")

    def cont(self) -> None:
        self.execute("cont")

    def quit(self) -> None:
        """Ask QEMU to exit now; QEMU may close the socket before it replies."""
        try:
            self.execute("quit")
        except QMPError as exc:
            if "closed by QEMU" not in exc.message:
                raise

    def send_fd(self, name: str, fd: int) -> None:
        """Give QEMU a copy of the open file ``fd``, known to later commands as ``name``."""
        self.execute("getfd", {"fdname": name}, fds=[fd])

    def save_to_file(self, path: Path, timeout: float = 300.0) -> None:
        """Migrate the VM's state into ``path`` and wait until it is complete.

        The file is opened here and handed to QEMU (``getfd`` + ``migrate fd:``): a sandboxed
        QEMU may not run ``exec:cat``, and after ``-runas`` it could not open the file itself.
        The caller stops the VM first so the saved state is exactly the paused VM.
        """
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            self.send_fd(STATE_FD, fd)
        finally:
            os.close(fd)
        self.execute("migrate", {"uri": f"fd:{STATE_FD}"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.execute("query-migrate")
            state = info.get("status") if isinstance(info, dict) else None
            if state == "completed":
                return
            if state in ("failed", "cancelled"):
                raise QMPError(f"saving the instance state failed: {info.get('error-desc', state)}")
            time.sleep(0.1)
        raise QMPError(f"saving the instance state did not finish within {timeout:.0f} s")
