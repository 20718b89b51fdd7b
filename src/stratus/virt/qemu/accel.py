"""KVM or TCG? Decided by booting a tiny guest under KVM with a timeout, not by CPU flags.

On nested-virtualisation hosts ``/dev/kvm`` exists and creating a VM succeeds, yet a guest under
``-accel kvm`` can hang before printing anything; CPU flags (``vmx``/``svm``) can also be hidden
while KVM works. So ``virt_type = auto`` boots a Linux kernel under ``-accel kvm`` with a
generated initramfs whose ``/init`` (a 48-byte static x86-64 program built here) prints a
marker on the serial console and powers off. Marker within the timeout: KVM. Anything else
(no ``/dev/kvm``, QEMU refuses, timeout, no kernel to try with): TCG, which always works.

The result is cached in a JSON file keyed by host kernel release, QEMU version and probe
kernel, so the probe runs once per host (and again after an upgrade). ``virt_type = kvm`` or
``qemu`` skip the probe: the operator decided.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import select
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from stratus.virt.driver import DriverError

LOG = logging.getLogger(__name__)

MARKER = b"STRATUS-KVM-PROBE-OK"
PROBE_TIMEOUT = 10.0
KERNEL_CANDIDATES = ("/boot/vmlinuz-{release}", "/boot/vmlinuz", "/vmlinuz")
VIRT_TYPES = ("auto", "kvm", "qemu")


@dataclasses.dataclass(frozen=True)
class Observation:
    """What one probe boot showed."""

    marker_seen: bool
    seconds: float
    detail: str


@dataclasses.dataclass(frozen=True)
class Decision:
    accel: str  # "kvm" | "tcg"
    reason: str
    cached: bool = False

    @property
    def hypervisor_type(self) -> str:
        """``hypervisor_type`` as ``openstack hypervisor show`` reports it."""
        return "KVM" if self.accel == "kvm" else "QEMU"


# ---------------------------------------------------------------------- the probe guest


def probe_init(marker: bytes = MARKER) -> bytes:
    """A static x86-64 ELF: ``write(1, marker + "\\n")``, then ``reboot(POWER_OFF)``.

    Only ever run as PID 1 of the probe guest (as PID 1 of a host it would power it off).
    """
    message = marker + b"\n"
    base, code_at = 0x400000, 64 + 56
    code = bytearray()
    code += b"\xb8\x01\x00\x00\x00"  # mov eax, 1 (write)
    code += b"\xbf\x01\x00\x00\x00"  # mov edi, 1 (stdout = /dev/console)
    lea_end = len(code) + 7
    code += b"\x48\x8d\x35" + struct.pack("<i", 48 - lea_end)  # lea rsi, [rip + message]
    code += b"\xba" + struct.pack("<I", len(message))  # mov edx, len
    code += b"\x0f\x05"  # syscall
    code += b"\xb8\xa9\x00\x00\x00"  # mov eax, 169 (reboot)
    code += b"\xbf\xad\xde\xe1\xfe"  # mov edi, LINUX_REBOOT_MAGIC1
    code += b"\xbe\x69\x19\x12\x28"  # mov esi, LINUX_REBOOT_MAGIC2
    code += b"\xba\xdc\xfe\x21\x43"  # mov edx, LINUX_REBOOT_CMD_POWER_OFF
    code += b"\x0f\x05"  # syscall
    code += b"\xeb\xfe"  # jmp . (if power off failed)
    assert len(code) == 48
    size = code_at + len(code) + len(message)
    ident = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
    header = struct.pack(
        "<16sHHIQQQIHHHHHH", ident, 2, 0x3E, 1, base + code_at, 64, 0, 0, 64, 56, 1, 0, 0, 0
    )
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, size, size, 0x1000)
    return header + phdr + bytes(code) + message


def _newc(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> bytes:
    fields = (0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def probe_initramfs(marker: bytes = MARKER) -> bytes:
    """A gzip'd newc cpio holding ``/dev/console`` and the probe ``/init``."""
    archive = (
        _newc("dev", 0o040755)
        + _newc("dev/console", 0o020600, rdev=(5, 1))
        + _newc("init", 0o100755, probe_init(marker))
        + _newc("TRAILER!!!", 0)
    )
    return gzip.compress(archive, mtime=0)


def find_probe_kernel(configured: Path | None) -> Path | None:
    if configured is not None:
        return configured if configured.is_file() else None
    for pattern in KERNEL_CANDIDATES:
        path = Path(pattern.format(release=os.uname().release))
        if path.is_file() and os.access(path, os.R_OK):
            return path
    return None


def run_probe(
    qemu: str, kernel: Path, workdir: Path, accel: str = "kvm", timeout: float = PROBE_TIMEOUT
) -> Observation:
    """Boot ``kernel`` + the probe initramfs under ``accel``; watch the serial console."""
    workdir.mkdir(parents=True, exist_ok=True)
    initrd = workdir / "accel-probe.initrd"
    initrd.write_bytes(probe_initramfs())
    argv = [
        qemu, "-accel", accel, "-cpu", "host" if accel == "kvm" else "max",
        "-machine", "pc", "-m", "128", "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-serial", "stdio", "-kernel", str(kernel), "-initrd", str(initrd),
        "-append", "console=ttyS0 quiet panic=-1",
    ]  # fmt: skip
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
    except OSError as exc:
        return Observation(False, 0.0, f"cannot run {qemu}: {exc}")
    output = b""
    try:
        assert proc.stdout is not None
        while MARKER not in output and time.monotonic() - started < timeout:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        initrd.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    if MARKER in output:
        return Observation(True, seconds, f"the probe guest printed its marker in {seconds:.1f} s")
    tail = output.decode(errors="replace").strip().splitlines()[-1:] or ["no output at all"]
    return Observation(
        False, seconds, f"no marker within {timeout:.0f} s under {accel} (last: {tail[0][:200]})"
    )


# ---------------------------------------------------------------------- the decision


def kvm_device_usable(device: Path = Path("/dev/kvm")) -> str | None:
    """None if ``device`` can be opened read-write, else why not."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return f"{device}: {exc.strerror}"
    os.close(fd)
    return None


def cache_key(qemu_version: str, kernel: Path | None) -> str:
    kernel_id = f"{kernel}:{kernel.stat().st_size}" if kernel else "no-kernel"
    return f"{os.uname().release}|{qemu_version}|{kernel_id}"


def decide(
    virt_type: str,
    cache_file: Path,
    key: str,
    kvm_problem: str | None,
    probe: Callable[[], Observation] | None,
) -> Decision:
    """Pick the accelerator for ``virt_type``; ``probe`` is None when there is no kernel.

    Reads and writes ``cache_file`` for ``auto`` only.
    """
    if virt_type not in VIRT_TYPES:
        raise DriverError(f"[compute] virt_type must be one of {', '.join(VIRT_TYPES)}")
    if virt_type == "qemu":
        return Decision("tcg", "virt_type = qemu (TCG emulation) in the configuration")
    if virt_type == "kvm":
        if kvm_problem:
            raise DriverError(f"virt_type = kvm but KVM is not usable: {kvm_problem}")
        return Decision("kvm", "virt_type = kvm in the configuration")
    if kvm_problem:
        return Decision("tcg", f"KVM not usable ({kvm_problem})")
    try:
        cached = json.loads(cache_file.read_text())
        if cached.get("key") == key:
            return Decision(cached["accel"], cached["reason"], cached=True)
    except (OSError, ValueError, KeyError):
        pass
    if probe is None:
        return Decision("tcg", "no kernel to probe KVM with; using TCG")
    seen = probe()
    if seen.marker_seen:
        decision = Decision("kvm", f"KVM probe: {seen.detail}")
    else:
        decision = Decision("tcg", f"KVM probe failed, using TCG: {seen.detail}")
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps({"key": key, **dataclasses.asdict(decision)}))
    return decision


def qemu_version(qemu: str) -> str:
    try:
        out = subprocess.run(
            [qemu, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise DriverError(f"cannot run {qemu}: {exc}") from exc
    return out.splitlines()[0].strip() if out else "unknown"


def select_accel(
    virt_type: str,
    qemu: str,
    workdir: Path,
    probe_kernel: Path | None = None,
    kvm_device: Path = Path("/dev/kvm"),
) -> Decision:
    """The accelerator this host uses (probing and caching for ``auto``)."""
    kernel = find_probe_kernel(probe_kernel)
    version = qemu_version(qemu)
    probe = None
    if kernel is not None:
        found = kernel

        def probe() -> Observation:
            return run_probe(qemu, found, workdir, "kvm")

    decision = decide(
        virt_type,
        workdir / "accel-probe.json",
        cache_key(version, kernel),
        kvm_device_usable(kvm_device) if virt_type != "qemu" else None,
        probe,
    )
    LOG.info(
        "qemu driver: acceleration %s (%s)%s",
        decision.accel,
        decision.reason,
        " [cached]" if decision.cached else "",
    )
    return decision
