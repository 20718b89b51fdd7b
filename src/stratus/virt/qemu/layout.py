"""Where the files of one instance live.

Persistent files (disks, console log, the domain spec) go under ``<instances_path>/<uuid>/``;
the sockets and the pidfile under ``<run_dir>/<uuid>/``: unix socket paths are limited to 107
bytes, and a deep ``instances_path`` would not leave room for them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

SOCKET_PATH_MAX = 107


@dataclasses.dataclass(frozen=True)
class InstanceDir:
    """The paths of one instance (nothing is created by constructing this)."""

    root: Path
    run: Path

    @classmethod
    def of(cls, instances_path: Path, run_dir: Path, uuid: str) -> InstanceDir:
        return cls(root=instances_path / uuid, run=run_dir / uuid)

    @property
    def disk(self) -> Path:
        return self.root / "disk"

    @property
    def ephemeral(self) -> Path:
        return self.root / "disk.eph0"

    @property
    def swap(self) -> Path:
        return self.root / "disk.swap"

    @property
    def config_drive(self) -> Path:
        """The config drive (ISO 9660, label ``config-2``), attached as a CD-ROM."""
        return self.root / "disk.config"

    @property
    def kernel(self) -> Path:
        return self.root / "kernel"

    @property
    def ramdisk(self) -> Path:
        return self.root / "ramdisk"

    @property
    def spec(self) -> Path:
        return self.root / "domain.json"

    @property
    def console_log(self) -> Path:
        """The guest's serial output (rotated to ``console.log.0``, ... by ``console_log.py``)."""
        return self.root / "console.log"

    @property
    def qemu_log(self) -> Path:
        """QEMU's own messages (its stdout and stderr) since it last started."""
        return self.root / "qemu.log"

    @property
    def saved_state(self) -> Path:
        """Guest memory and device state written by suspend, read by resume."""
        return self.root / "memory.state"

    @property
    def resize_backup(self) -> Path:
        """The disks and spec from before a resize, kept until confirm or revert."""
        return self.root / "resize-old"

    @property
    def qmp_socket(self) -> Path:
        return self.run / "qmp.sock"

    @property
    def serial_socket(self) -> Path:
        return self.run / "serial.sock"

    @property
    def vnc_socket(self) -> Path:
        return self.run / "vnc.sock"

    @property
    def pidfile(self) -> Path:
        return self.run / "qemu.pid"

    def too_long_socket(self) -> Path | None:
        """The first socket path over the kernel's limit, if any."""
        for sock in (self.qmp_socket, self.serial_socket, self.vnc_socket):
            if len(str(sock).encode()) > SOCKET_PATH_MAX:
                return sock
        return None
