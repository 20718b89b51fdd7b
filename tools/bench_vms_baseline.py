"""Baseline of ``tools/bench_vms.py``: the test image booted by hand, without Stratus.

Uses the e2e tests' ``GuestLab`` (``tests/e2e/guest_lab.py``): a private network namespace with
a bridge, dnsmasq (a static lease for the guest's MAC) and a metadata responder serving the lab's
generated ed25519 key for ``cirros``. The guest's QEMU runs inside that namespace with the flags
Stratus's qemu driver uses (``virt/qemu/domain.py``): ``-machine pc -accel tcg -cpu max``, the
flavor's ``-m 128 -smp 1``, a VGA device behind a VNC unix socket, the serial console, virtio-rng,
a fresh qcow2 overlay (1 GiB, as m1.nano) as virtio boot disk and virtio-net on a tap. What
differs: QEMU runs in the foreground (no ``-daemonize``, no QMP) with the serial console written
to a plain file, and the tap sits on the lab's bridge. Timed from the moment QEMU is spawned: the
banner, then the first successful ``ssh ... true``.

The overlay's backing file matters under TCG. ``cirros.qcow2`` is shipped compressed, and
Stratus's image cache converts every image once per host into an uncompressed qcow2 base
(``virt/qemu/disks.py``), which boots about a second faster here. So the baseline boots on a
base converted the same way (``qemu-img convert -O qcow2``), and again, for reference, on the
compressed ``cirros.qcow2`` as shipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_vms_common import ROOT, status_mb, summary, wait_banner, wait_ssh

sys.path.insert(0, str(ROOT))
from tests.e2e.guest_lab import GuestLab

MAC = "fa:16:3e:00:00:0a"
BOOT_TIMEOUT = 180.0


def qemu_argv(lab: GuestLab, overlay: Path, console: Path, vnc: Path) -> list[str]:
    """The hand-written equivalent of the driver's command line (see the module docstring)."""
    return [
        *lab.exec_prefix(), "qemu-system-x86_64",
        "-name", "bench-baseline", "-machine", "pc", "-accel", "tcg", "-cpu", "max",
        "-m", "128", "-smp", "1", "-nodefaults", "-no-user-config",
        "-display", "none", "-device", "VGA", "-vnc", f"unix:{vnc}",
        "-rtc", "base=utc", "-serial", f"file:{console}",
        "-device", "virtio-rng-pci",
        "-drive", f"file={overlay},format=qcow2,if=none,id=drive0,discard=unmap",
        "-device", "virtio-blk-pci,drive=drive0,id=disk0,serial=root,bootindex=1",
        "-netdev", "tap,id=net0,ifname=tap0,script=no,downscript=no",
        "-device", f"virtio-net-pci,netdev=net0,mac={MAC},id=nic0",
    ]  # fmt: skip


def convert_base(image_dir: Path, dest: Path) -> Path:
    """``cirros.qcow2`` converted as Stratus's image cache does (uncompressed qcow2)."""
    subprocess.run(
        ["qemu-img", "convert", "-f", "qcow2", "-O", "qcow2",
         str(image_dir / "cirros.qcow2"), str(dest)],
        check=True,
    )  # fmt: skip
    return dest


def make_overlay(base: Path, overlay: Path) -> None:
    overlay.unlink(missing_ok=True)
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
         "-b", str(base), str(overlay), "1G"],
        check=True,
    )  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the guest's QEMU (started here): SIGTERM, then SIGKILL after 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def boot_once(lab: GuestLab, base: Path, ip: str, idle: float | None = None) -> dict[str, Any]:
    """One boot on an overlay of ``base``: QEMU start → banner, → SSH answers; with ``idle``,
    also QEMU's VmRSS after ``idle`` seconds idle. The guest's QEMU is stopped afterwards."""
    work = lab.workdir / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    overlay, console = work / "disk.qcow2", work / "console.log"
    make_overlay(base, overlay)
    cmd = qemu_argv(lab, overlay, console, work / "vnc.sock")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + BOOT_TIMEOUT
        uptime = wait_banner(console, ip, deadline, lambda: proc.poll() is None)
        banner = time.monotonic() - started
        attempts = wait_ssh(lab.netns, lab.key_path, ip, deadline)
        ssh = time.monotonic() - started
        rss = None
        if idle is not None:
            time.sleep(idle)
            rss = status_mb(proc.pid)  # NOTE: ``ip netns exec`` execs QEMU: the same pid
    finally:
        stop(proc)
    return {
        "banner_s": banner,
        "ssh_s": ssh,
        "guest_uptime_s": uptime,
        "ssh_attempts": attempts,
        "idle_rss_mb": rss,
    }


def series(
    lab: GuestLab, base: Path, ip: str, runs: int, label: str, idle: float | None = None
) -> dict[str, Any]:
    """``runs`` boots on ``base``; with ``idle``, the last one also reads QEMU's idle RSS."""
    boots = []
    for run in range(runs):
        boots.append(boot_once(lab, base, ip, idle if run == runs - 1 else None))
        print(
            f"  by hand ({label}) {run + 1}/{runs}: QEMU start -> banner "
            f"{boots[-1]['banner_s']:.1f} s, -> SSH {boots[-1]['ssh_s']:.1f} s",
            flush=True,
        )
    return {
        "qemu_start_to_banner": summary([b["banner_s"] for b in boots]),
        "qemu_start_to_ssh": summary([b["ssh_s"] for b in boots]),
        "guest_uptime_at_banner": summary([b["guest_uptime_s"] for b in boots]),
        "qemu_start_to_kernel": summary([b["banner_s"] - b["guest_uptime_s"] for b in boots]),
        "idle_rss_mb": boots[-1]["idle_rss_mb"] if boots else None,
        "boots": boots,
    }


def run_baseline(image_dir: Path, work: Path, runs: int, idle: float) -> dict[str, Any]:
    """``runs`` hand boots in one lab on the converted base (the baseline; QEMU's RSS after
    ``idle`` seconds in the last one), then ``runs`` on the compressed image as shipped."""
    lab = GuestLab(work)
    try:
        ip = lab.add_host(MAC, 10)
        lab.add_tap("tap0")
        lab.set_metadata({"uuid": "bench-baseline", "hostname": "baseline", "keys": {}})
        base = convert_base(image_dir, work / "base.qcow2")
        result = series(lab, base, ip, runs, "converted base", idle)
        shipped = image_dir / "cirros.qcow2"
        result["shipped_image"] = series(lab, shipped, ip, runs, "compressed cirros.qcow2")
    finally:
        lab.close()
    return result
