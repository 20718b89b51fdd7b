"""The QMP client against a scripted QMP server on a unix socket."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from stratus.virt.qemu.qmp import QMPClient, QMPError


class FakeQemu:
    """Answers QMP like QEMU: greeting, then one reply per command (events sprinkled in)."""

    def __init__(self, path: Path) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = "running"
        self.migrations = ["active", "completed"]
        self.fds: dict[str, BinaryIO] = {}  # received with getfd, by name
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _reply(self, cmd: str, args: dict[str, Any]) -> dict[str, Any] | None:
        if cmd == "query-status":
            return {"return": {"status": self.status, "running": self.status == "running"}}
        if cmd == "stop":
            self.status = "paused"
        if cmd == "cont":
            self.status = "running"
        if cmd == "migrate":
            with self.fds.pop(args["uri"].removeprefix("fd:")) as f:
                f.write(b"QEVM saved state")
        if cmd == "query-migrate":
            return {"return": {"status": self.migrations.pop(0)}}
        if cmd == "bogus":
            return {
                "error": {
                    "class": "CommandNotFound",
                    "desc": "The command bogus has not been found",
                }
            }
        if cmd == "quit":
            return None
        return {"return": {}}

    def _lines(self, conn: socket.socket) -> Iterator[tuple[bytes, list[int]]]:
        """Command lines with the file descriptors that came along (as QEMU reads them)."""
        buf, fds = b"", []
        while True:
            data, got, _flags, _addr = socket.recv_fds(conn, 65536, 8)
            if not data:
                return
            buf, fds = buf + data, fds + got
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                yield line, fds
                fds = []

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        for line, fds in self._lines(conn):
            msg = json.loads(line)
            self.received.append(msg)
            if msg["execute"] == "getfd":
                [fd] = fds
                self.fds[msg["arguments"]["fdname"]] = os.fdopen(fd, "wb")
            reply = self._reply(msg["execute"], msg.get("arguments", {}))
            if reply is None:
                break
            conn.sendall(
                b'{"event": "SOMETHING", "timestamp": {}}\n' + json.dumps(reply).encode() + b"\n"
            )
        conn.close()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def qemu(tmp_path: Path) -> Iterator[tuple[FakeQemu, Path]]:
    path = tmp_path / "qmp.sock"
    fake = FakeQemu(path)
    yield fake, path
    fake.close()


def test_commands_and_status(qemu: tuple[FakeQemu, Path]) -> None:
    fake, path = qemu
    with QMPClient(path, timeout=5) as qmp:
        assert qmp.status() == "running"
        qmp.stop()
        assert qmp.status() == "paused"
        qmp.cont()
        qmp.system_reset()
        qmp.system_powerdown()
        with pytest.raises(QMPError, match="refused bogus: The command bogus has not been found"):
            qmp.execute("bogus")
        qmp.quit()  # QEMU hangs up instead of answering: fine
    commands = [m["execute"] for m in fake.received]
    assert commands[0] == "qmp_capabilities"
    assert commands[1:] == [
        "query-status", "stop", "query-status", "cont", "system_reset", "system_powerdown",
        "bogus", "quit",
    ]  # fmt: skip


def test_save_to_file_hands_qemu_the_open_file_and_waits(
    qemu: tuple[FakeQemu, Path], tmp_path: Path
) -> None:
    fake, path = qemu
    state = tmp_path / "state file"
    with QMPClient(path, timeout=5) as qmp:
        qmp.save_to_file(state)
    commands = [(m["execute"], m.get("arguments")) for m in fake.received[1:]]
    assert commands[:2] == [
        ("getfd", {"fdname": "statefile"}),
        # NOTE: not exec:cat > file: the sandboxed QEMU may not run programs
        ("migrate", {"uri": "fd:statefile"}),
    ]
    assert fake.migrations == []  # polled until "completed"
    assert state.read_bytes() == b"QEVM saved state"  # written through the descriptor sent
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_no_socket_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QMPError, match="cannot connect to QMP socket"):
        QMPClient(tmp_path / "missing.sock").connect()
