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
    with pytest.raises(DriverError, match=r"QEMU failed to start: .*no KVM"):
        process.launch([str(script)])
    with pytest.raises(DriverError, match="could not start QEMU"):
        process.launch([str(tmp_path / "missing")])
