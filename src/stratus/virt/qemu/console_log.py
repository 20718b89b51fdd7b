"""The guests' serial console logs, capped and rotated as libvirt's ``virtlogd`` does.

QEMU's own chardev ``logfile`` grows without limit, so QEMU writes the serial port only to its
unix socket and the driver copies what arrives into ``console.log``: one thread per running guest
(``ConsolePump``) appends to a ``RotatingLog``, which never lets a file grow past ``max_size``
bytes. A full file becomes ``console.log.0`` (older ones move up to ``.1`` ... and the oldest
beyond ``max_backups`` is dropped), so a guest holds at most ``(1 + max_backups) * max_size``
bytes of log on the host, whatever it writes. ``read_tail`` reads the newest bytes across the
files for ``os-getConsoleOutput``.

QEMU starts paused (``-S``) and the driver connects the pump before the guest runs, so the log
begins with the firmware's first line. While no pump is connected (the compute agent restarts)
QEMU drops the serial output: the guest never blocks on it, and that output is not in the log.
A slow pump slows only the guest's serial port (QEMU waits for the socket before it takes the
next byte from the guest), never the agent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from pathlib import Path
from typing import BinaryIO

LOG = logging.getLogger(__name__)

# virtlogd.conf's defaults: 2 MiB per file, 3 rotated files kept
DEFAULT_MAX_SIZE = 2 * 1024 * 1024
DEFAULT_MAX_BACKUPS = 3
CHUNK = 64 * 1024
# NOTE: after QEMU exits the socket holds at most its buffer; copying that takes milliseconds
DRAIN_SECONDS = 2.0


def backup_path(path: Path, n: int) -> Path:
    """The ``n``-th rotated file of ``path`` (0 is the newest): ``console.log.0``, ..."""
    return path.with_name(f"{path.name}.{n}")


class RotatingLog:
    """An append-only file of at most ``max_size`` bytes, rotated when the next byte would not
    fit. Used by one thread at a time (its pump)."""

    def __init__(self, path: Path, max_size: int, max_backups: int) -> None:
        self.path = path
        self.max_size = max(1, max_size)
        self.max_backups = max(0, max_backups)
        self._file: BinaryIO | None = None
        self._size = 0

    def _current(self) -> BinaryIO:
        if self._file is None:
            # NOTE: guest output may hold secrets; the file is the agent's alone
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._size = os.fstat(fd).st_size
            self._file = os.fdopen(fd, "ab")
        return self._file

    def write(self, data: bytes) -> None:
        """Append ``data``, rotating as often as needed so no file passes ``max_size``."""
        view = memoryview(data)
        while view:
            current = self._current()
            room = self.max_size - self._size
            if room <= 0:
                self.rotate()
                continue
            chunk = view[:room]
            current.write(chunk)
            current.flush()
            self._size += len(chunk)
            view = view[room:]

    def rotate(self) -> None:
        """``console.log`` becomes ``console.log.0`` (the oldest backup is dropped)."""
        self.close()
        if self.max_backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for n in range(self.max_backups - 1, 0, -1):
            older = backup_path(self.path, n - 1)
            if older.exists():
                older.replace(backup_path(self.path, n))
        if self.path.exists():
            self.path.replace(backup_path(self.path, 0))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._size = 0


def read_tail(path: Path, limit: int, max_backups: int) -> bytes:
    """The last ``limit`` bytes of the log, across ``path`` and its rotated files."""
    parts: list[bytes] = []
    wanted = limit
    for candidate in (path, *(backup_path(path, n) for n in range(max_backups))):
        if wanted <= 0:
            break
        try:
            with open(candidate, "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - wanted))
                data = f.read(wanted)
        except FileNotFoundError:
            continue
        parts.append(data)
        wanted -= len(data)
    return b"".join(reversed(parts))


class _Stream:
    """One guest's copier: serial socket -> rotating log, until QEMU hangs up or ``stop``."""

    def __init__(self, uuid: str, sock: socket.socket, log: RotatingLog) -> None:
        self.uuid = uuid
        self.sock = sock
        self.log = log
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name=f"console-{uuid[:8]}", daemon=True)

    def _run(self) -> None:
        try:
            while chunk := self.sock.recv(CHUNK):
                self.log.write(chunk)
        except OSError as exc:
            if not self.stopping:
                LOG.warning("console log of %s stopped: %s", self.uuid, exc)
        finally:
            self.log.close()
            self.sock.close()

    def stop(self, drain: float) -> None:
        """Let the copier take what QEMU wrote before it exited (up to ``drain`` seconds),
        then hang up."""
        if self.thread is threading.current_thread():
            return
        self.thread.join(timeout=drain)
        self.stopping = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(timeout=10)


class ConsolePump:
    """Copies every running guest's serial output into its capped log (see the module doc)."""

    def __init__(
        self, max_size: int = DEFAULT_MAX_SIZE, max_backups: int = DEFAULT_MAX_BACKUPS
    ) -> None:
        self.max_size = max_size
        self.max_backups = max_backups
        self._streams: dict[str, _Stream] = {}
        self._lock = threading.Lock()

    def watch(self, uuid: str, serial_socket: Path, log_path: Path) -> bool:
        """Start copying ``uuid``'s serial output (kept if already copying); returns whether it
        is copied. Never raises: a guest whose serial socket cannot be reached runs unlogged."""
        with self._lock:
            current = self._streams.get(uuid)
            if current is not None and current.thread.is_alive():
                return True
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(serial_socket))
            except OSError as exc:
                sock.close()
                LOG.warning("no console log for %s: %s: %s", uuid, serial_socket, exc)
                return False
            stream = _Stream(uuid, sock, RotatingLog(log_path, self.max_size, self.max_backups))
            self._streams[uuid] = stream
            stream.thread.start()
            return True

    def forget(self, uuid: str, drain: float = DRAIN_SECONDS) -> None:
        """Stop copying ``uuid``'s output and close its log, once what QEMU wrote before it
        exited is in the log (the last words of a guest that powered off). Idempotent."""
        with self._lock:
            stream = self._streams.pop(uuid, None)
        if stream is not None:
            stream.stop(drain)

    def watching(self, uuid: str) -> bool:
        with self._lock:
            stream = self._streams.get(uuid)
            return stream is not None and stream.thread.is_alive()


__all__ = ["ConsolePump", "RotatingLog", "backup_path", "read_tail"]
