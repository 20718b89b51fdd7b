"""The guest console log: never past its cap, rotated like virtlogd, read back across files."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.waiting import wait_until

from stratus.virt.qemu.console_log import ConsolePump, RotatingLog, backup_path, read_tail

UUID = "6f1c1a9e-0000-4000-8000-000000000001"


def sizes(path: Path, backups: int) -> list[int]:
    files = [path, *(backup_path(path, n) for n in range(backups + 2))]
    return [p.stat().st_size if p.exists() else -1 for p in files]


def test_no_file_passes_the_cap_and_the_oldest_backup_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    log = RotatingLog(path, max_size=100, max_backups=2)
    log.write(b"a" * 250)  # one write bigger than two files
    assert sizes(path, 2) == [50, 100, 100, -1, -1]
    assert backup_path(path, 1).read_bytes() == b"a" * 100
    log.write(b"b" * 60)
    assert sizes(path, 2) == [10, 100, 100, -1, -1]  # the first 100 a's are gone
    assert path.read_bytes() == b"b" * 10
    assert backup_path(path, 0).read_bytes() == b"a" * 50 + b"b" * 50
    log.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # guest output is the agent's alone


def test_an_existing_log_counts_towards_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    path.write_bytes(b"x" * 90)  # written before an agent restart
    log = RotatingLog(path, max_size=100, max_backups=1)
    log.write(b"y" * 20)
    log.close()
    assert path.read_bytes() == b"y" * 10
    assert backup_path(path, 0).read_bytes() == b"x" * 90 + b"y" * 10


def test_no_backups_keeps_only_the_current_file(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    log = RotatingLog(path, max_size=10, max_backups=0)
    log.write(b"0123456789abc")
    log.close()
    assert path.read_bytes() == b"abc"
    assert not backup_path(path, 0).exists()


def test_read_tail_spans_the_rotated_files(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    assert read_tail(path, 100, 3) == b""
    data = b"".join(b"%02d" % i for i in range(20))  # 40 bytes: 4 files of 10
    log = RotatingLog(path, max_size=10, max_backups=3)
    log.write(data)
    log.close()
    assert sizes(path, 3)[:4] == [10, 10, 10, 10]
    assert read_tail(path, 15, 3) == data[-15:]
    assert read_tail(path, 1000, 3) == data
    assert read_tail(path, 1000, 1) == data[-20:]  # only the backups asked for


class FakeSerial:
    """QEMU's serial chardev: a unix socket server the pump connects to."""

    def __init__(self, path: Path) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.conn, _ = self.server.accept()
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def serial(tmp_path: Path) -> Iterator[tuple[FakeSerial, Path]]:
    path = tmp_path / "serial.sock"
    fake = FakeSerial(path)
    yield fake, path
    fake.close()


def test_pump_caps_what_the_guest_writes_and_keeps_its_last_words(
    serial: tuple[FakeSerial, Path], tmp_path: Path
) -> None:
    fake, sock = serial
    log = tmp_path / "console.log"
    pump = ConsolePump(max_size=1000, max_backups=1)
    assert pump.watch(UUID, sock, log)
    conn = fake.accept()
    assert pump.watch(UUID, sock, log)  # already copying: kept, no second connection
    for _ in range(50):
        conn.sendall(b"x" * 99 + b"\n")  # 5,000 bytes
    wait_until(lambda: read_tail(log, 10_000, 1).count(b"\n") == 20, 10, "the last 2,000 bytes")
    assert sizes(log, 1)[:3] == [1000, 1000, -1]
    conn.sendall(b"shutting down\n")
    conn.close()  # QEMU exited
    pump.forget(UUID)  # waits for the last words
    assert read_tail(log, 100, 1).endswith(b"shutting down\n")
    assert not pump.watching(UUID)
    pump.forget(UUID)  # idempotent


def test_pump_without_a_serial_socket_does_not_fail(tmp_path: Path) -> None:
    pump = ConsolePump()
    assert not pump.watch(UUID, tmp_path / "missing.sock", tmp_path / "console.log")
    assert not pump.watching(UUID)


def test_forget_hangs_up_on_a_running_guest(
    serial: tuple[FakeSerial, Path], tmp_path: Path
) -> None:
    fake, sock = serial
    pump = ConsolePump()
    assert pump.watch(UUID, sock, tmp_path / "console.log")
    conn = fake.accept()
    conn.sendall(b"booting\n")
    wait_until(lambda: (tmp_path / "console.log").exists(), 10, "the log")
    pump.forget(UUID, drain=0.1)
    assert not pump.watching(UUID)
    assert conn.recv(10) == b""  # the pump hung up
