"""The test guest image (tools/build-test-image.sh) boots under QEMU/TCG, gets its address by
DHCP, reads the metadata service, installs the key for ``cirros`` and answers SSH.

Run by hand: ``.venv/bin/pytest -s -m e2e tests/e2e/test_guest_image.py`` (prints the timings).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.guest_lab import GuestLab, build_test_image, needs_qemu
from tests.fixtures.waiting import scaled, wait_until

pytestmark = [pytest.mark.e2e, needs_qemu]

MAC = "fa:16:3e:00:00:0a"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[GuestLab]:
    lab = GuestLab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()


def wait_for(path: Path, text: str, timeout: float, proc: subprocess.Popen[bytes]) -> str:
    """Wait until ``text`` is on the console log; returns the log (timeout in reference s)."""

    def console() -> str:
        return path.read_text(errors="replace") if path.exists() else ""

    def shown() -> str | None:
        log = console()
        if text in log:
            return log
        if proc.poll() is not None:
            raise RuntimeError(f"QEMU exited ({proc.returncode})")
        return None

    try:
        return wait_until(shown, timeout, f"{text!r} on the console")
    except (AssertionError, RuntimeError) as exc:
        raise AssertionError(f"{exc}:\n{console()[-3000:]}") from None


@pytest.mark.parametrize("boot", ["kernel", "disk"])
def test_guest_boots_to_ssh(lab: GuestLab, tmp_path: Path, boot: str) -> None:
    image = build_test_image()
    ip = lab.add_host(MAC, 10)
    lab.add_tap("tap0")
    lab.set_metadata({"uuid": "0f6c5e3a", "hostname": "lab-guest.example", "keys": {}})
    console = tmp_path / "console.log"
    if boot == "kernel":
        boot_args = ["-kernel", str(image / "vmlinuz"), "-initrd", str(image / "initrd.img"),
                     "-append", "console=ttyS0"]  # fmt: skip
    else:
        overlay = tmp_path / "disk.qcow2"
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
             "-b", str(image / "cirros.qcow2"), str(overlay), "1G"],
            check=True,
        )  # fmt: skip
        boot_args = ["-drive", f"file={overlay},format=qcow2,if=virtio"]
    cmd = [
        *lab.exec_prefix(), "qemu-system-x86_64", "-accel", "tcg", "-m", "128", "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", "-serial", f"file:{console}",
        "-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no",
        "-device", f"virtio-net-pci,netdev=net0,mac={MAC}", "-device", "virtio-rng-pci",
        *boot_args,
    ]  # fmt: skip
    started = time.monotonic()
    qemu = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    try:
        log = wait_for(console, f"STRATUS-GUEST-READY ip={ip}", 120, qemu)
        banner_s = time.monotonic() - started
        assert "metadata from metadata-service, 1 public key(s) for cirros" in log
        assert "login as 'cirros'" in log
        out = lab.wait_ssh(ip)
        ssh_s = time.monotonic() - started
        assert out.stdout.startswith("Linux lab-guest ")
        who = lab.ssh(ip, "id", "-un")
        assert who.stdout.strip() == "cirros"
        print(
            f"\n[{boot} boot under TCG] QEMU start -> banner {banner_s:.1f} s, -> SSH {ssh_s:.1f} s"
        )
    finally:
        qemu.terminate()
        qemu.wait(scaled(30))
    assert qemu.returncode is not None
    assert set(lab.pids_in_namespace()) <= lab.own_pids()
