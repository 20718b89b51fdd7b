"""Starting an instance's QEMU: paused until the console log is connected, then ``cont``; a
resume reads the saved state from a descriptor QEMU inherits. Against a fake QEMU (a script that
serves QMP and a serial socket like QEMU does), so no VM runs."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.waiting import wait_until

from stratus.virt.driver import DriverError
from stratus.virt.qemu.domain import DomainSpec
from stratus.virt.qemu.layout import InstanceDir
from stratus.virt.qemu.runtime import Runtime

UUID = "6f1c1a9e-0000-4000-8000-000000000001"

FAKE_QEMU = r"""
import json, os, socket, sys, threading
args = sys.argv[1:]
def after(flag):
    return args[args.index(flag) + 1] if flag in args else None
def opt(value, key):
    return dict(p.split("=", 1) for p in value.split(",") if "=" in p)[key]
if "--fail" in os.environ.get("FAKE_QEMU", ""):
    print("qemu-system-x86_64: -accel kvm: failed to initialize kvm", file=sys.stderr)
    sys.exit(1)
state = {"status": "prelaunch" if "-S" in args else "running", "serial": None, "loaded": ""}
incoming = after("-incoming")
if incoming:
    state["loaded"] = os.read(int(incoming.removeprefix("fd:")), 100).decode()
    state["status"] = "paused"
serial = socket.socket(socket.AF_UNIX)
serial.bind(opt(after("-chardev"), "path"))
serial.listen(1)
def accept_serial():
    state["serial"] = serial.accept()[0]
threading.Thread(target=accept_serial, daemon=True).start()
qmp = socket.socket(socket.AF_UNIX)
qmp.bind(after("-qmp").split(",")[0].removeprefix("unix:")); qmp.listen(1)
open(after("-pidfile"), "w").write(str(os.getpid()))
while True:
    conn = qmp.accept()[0]
    f = conn.makefile("rwb")
    f.write(b'{"QMP": {}}\n'); f.flush()
    for line in f:
        cmd = json.loads(line)["execute"]
        if cmd == "quit":
            sys.exit(0)
        if cmd == "cont":
            state["status"] = "running"
            if state["serial"] is not None:  # QEMU drops serial output nobody reads
                state["serial"].sendall(b"SeaBIOS (version fake)\n" + state["loaded"].encode())
        reply = {"status": state["status"]} if cmd == "query-status" else {}
        f.write(json.dumps({"return": reply}).encode() + b"\n"); f.flush()
"""


@pytest.fixture
def fake_qemu(tmp_path: Path) -> str:
    script = tmp_path / "fake_qemu.py"
    script.write_text(FAKE_QEMU)
    # NOTE: the driver trusts a pid only while its cmdline's argv[0] names qemu-system-*; a
    # link to the real interpreter keeps Python finding its standard library
    python = tmp_path / "qemu-system-python"
    python.symlink_to(os.path.realpath(sys.executable))
    wrapper = tmp_path / "qemu-system-x86_64"
    wrapper.write_text(f'#!/bin/bash\nexec -a {python} {python} {script} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


@pytest.fixture
def run_dir() -> Iterator[Path]:
    # NOTE: short: unix socket paths must fit in 107 bytes, tmp_path is too deep
    path = Path(tempfile.mkdtemp(prefix="qrt-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def setup(tmp_path: Path, qemu: str, run_dir: Path) -> tuple[Runtime, DomainSpec, InstanceDir]:
    d = InstanceDir.of(tmp_path / "instances", run_dir, UUID)
    d.root.mkdir(parents=True)
    spec = DomainSpec(uuid=UUID, memory_mb=64, vcpus=1, accel="tcg")
    return Runtime(qemu, list), spec, d


def test_the_console_log_starts_with_the_firmwares_first_line(
    tmp_path: Path, fake_qemu: str, run_dir: Path
) -> None:
    runtime, spec, d = setup(tmp_path, fake_qemu, run_dir)
    runtime.start(spec, d)
    try:
        assert runtime.status(d, UUID) == "running"  # cont'ed after the console was connected
        wait_until(lambda: d.console_log.exists() and d.console_log.read_bytes(), 10, "output")
        assert d.console_log.read_bytes().startswith(b"SeaBIOS (version fake)\n")
        runtime.start(spec, d)  # already running: nothing happens
    finally:
        runtime.kill(d, UUID)
    assert runtime.pid(d, UUID) is None
    assert not runtime.console.watching(UUID)


def test_resume_reads_the_state_through_an_inherited_descriptor(
    tmp_path: Path, fake_qemu: str, run_dir: Path
) -> None:
    runtime, spec, d = setup(tmp_path, fake_qemu, run_dir)
    d.saved_state.write_text("memory of the guest\n")
    runtime.restore(spec, d)
    try:
        assert runtime.status(d, UUID) == "running"
        assert not d.saved_state.exists()
        wait_until(
            lambda: d.console_log.exists() and b"memory" in d.console_log.read_bytes(), 10, "log"
        )
    finally:
        runtime.kill(d, UUID)


def test_qemus_own_complaint_is_the_error(
    tmp_path: Path, fake_qemu: str, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, spec, d = setup(tmp_path, fake_qemu, run_dir)
    monkeypatch.setenv("FAKE_QEMU", "--fail")
    with pytest.raises(DriverError, match=r"QEMU failed to start: .*failed to initialize kvm"):
        runtime.start(spec, d)
    assert "failed to initialize kvm" in d.qemu_log.read_text()
    assert os.stat(d.qemu_log).st_mode & 0o077 == 0
