"""Finding an instance's QEMU from its pidfile without ever trusting a recycled pid."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stratus.virt.driver import DriverError
from stratus.virt.qemu import process

UUID = "6f1c1a9e-0000-4000-8000-000000000001"


def cmdline(*args: str) -> bytes:
    return b"\0".join(a.encode() for a in args) + b"\0"


def test_cmdline_must_be_qemu_with_this_uuid() -> None:
    assert process.cmdline_matches(cmdline("/usr/bin/qemu-system-x86_64", "-uuid", UUID), UUID)
    assert process.cmdline_matches(cmdline("qemu-system-x86_64", "-m", "1", "-uuid", UUID), UUID)
    assert not process.cmdline_matches(cmdline("qemu-system-x86_64", "-uuid", "other"), UUID)
    assert not process.cmdline_matches(cmdline("/usr/bin/python3", "-uuid", UUID), UUID)
    assert not process.cmdline_matches(cmdline("qemu-system-x86_64", UUID), UUID)
    assert not process.cmdline_matches(b"", UUID)


def fake_proc(root: Path, pid: int, args: bytes, state: str = "S") -> None:
    d = root / str(pid)
    d.mkdir(parents=True)
    (d / "cmdline").write_bytes(args)
    (d / "stat").write_text(f"{pid} (qemu-system-x86) {state} 1 2 3")


def test_live_pid_trusts_only_a_matching_running_process(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    pidfile = tmp_path / "qemu.pid"
    assert process.live_pid(pidfile, UUID, proc) is None  # no pidfile
    pidfile.write_text("4242\n")
    assert process.live_pid(pidfile, UUID, proc) is None  # no such process
    fake_proc(proc, 4242, cmdline("/usr/bin/qemu-system-x86_64", "-uuid", UUID))
    assert process.live_pid(pidfile, UUID, proc) == 4242
    pidfile.write_text("4343")
    fake_proc(proc, 4343, cmdline("/usr/sbin/sshd", "-D"))  # recycled pid: never ours
    assert process.live_pid(pidfile, UUID, proc) is None
    pidfile.write_text("4444")
    fake_proc(proc, 4444, cmdline("qemu-system-x86_64", "-uuid", UUID), state="Z")
    assert process.live_pid(pidfile, UUID, proc) is None  # exited, not yet reaped
    pidfile.write_text("garbage")
    assert process.live_pid(pidfile, UUID, proc) is None


def test_kill_leaves_a_foreign_process_alone(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pidfile = tmp_path / "qemu.pid"
        pidfile.write_text(str(other.pid))
        process.kill(pidfile, UUID, grace=0.1)
        assert not process.signal_instance(pidfile, UUID, 15)
        assert other.poll() is None  # still running: it is not the instance's QEMU
    finally:
        other.kill()
        other.wait()


def test_launch_reports_why_qemu_refused(tmp_path: Path) -> None:
    script = tmp_path / "qemu-system-x86_64"
    script.write_text("#!/bin/sh\necho 'qemu-system-x86_64: -accel kvm: no KVM' >&2\nexit 1\n")
    os.chmod(script, 0o755)
    log = tmp_path / "qemu.log"
    with pytest.raises(DriverError, match=r"QEMU failed to start: .*no KVM"):
        process.launch([str(script)], log, lambda: False)
    assert "no KVM" in log.read_text()
    with pytest.raises(DriverError, match="could not start QEMU"):
        process.launch([str(tmp_path / "missing")], log, lambda: False)


def test_launch_returns_once_ready_and_the_process_lives_on_alone(tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    state = tmp_path / "state"
    state.write_text("saved")
    fd = os.open(state, os.O_RDONLY | os.O_CLOEXEC)
    script = (
        "import os, pathlib, sys, time\n"
        f"print(os.read({fd}, 5).decode(), flush=True)\n"  # the descriptor passed along
        f"pathlib.Path({str(flag)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    log = tmp_path / "qemu.log"
    try:
        pid = process.launch(
            [sys.executable, "-c", script], log, flag.exists, pass_fds=(fd,), timeout=30
        )
    finally:
        os.close(fd)
    try:
        assert os.getsid(pid) == pid  # a session of its own: it outlives the agent
        assert os.stat(log).st_mode & 0o077 == 0
        assert log.read_text().strip() == "saved"
    finally:
        os.kill(pid, 9)


def test_launch_gives_up_on_a_qemu_that_never_answers(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys, time; print('stuck', flush=True); time.sleep(60)"]
    with pytest.raises(DriverError, match="did not come up within 0 s"):
        process.launch(argv, tmp_path / "qemu.log", lambda: False, timeout=0.2)


def test_a_qemu_of_an_earlier_release_writes_its_own_console_log(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    chardev = "socket,id=serial0,path=/r/serial.sock,server=on,wait=off"
    fake_proc(proc, 10, cmdline("qemu-system-x86_64", "-chardev", chardev + ",logfile=/i/c.log"))
    fake_proc(proc, 11, cmdline("qemu-system-x86_64", "-chardev", chardev))
    assert process.writes_own_console_log(10, proc)
    assert not process.writes_own_console_log(11, proc)
    assert not process.writes_own_console_log(12, proc)  # gone
