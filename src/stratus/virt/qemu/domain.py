"""An instance's QEMU definition (``DomainSpec``) and its command line (``build_argv``, pure).

The spec is what the driver persists per instance (``domain.json``): enough to start the same
VM again after a power-off, a host reboot or an agent restart. ``build_argv`` turns it into the
argv of a QEMU that starts paused (``-S``: the driver connects the console log, then ``cont``)
with:

* no defaults (``-nodefaults -no-user-config``), a standard VGA display served only by a VNC
  server on a unix socket (the noVNC console; no TCP listener);
* the serial port on a unix socket, which the driver copies into a capped ``console.log``
  (``console_log.py``; QEMU's own ``logfile`` would grow without limit);
* a QMP unix socket (the driver's control channel) and a pidfile;
* virtio disks (the root disk boots first), a CD-ROM for a config drive, virtio NICs on tap
  devices, a virtio RNG (guests have entropy at once);
* optional direct kernel boot (AMI/AKI/ARI images) and an optional ``-incoming`` state file
  descriptor (resume from suspend);
* the confinement the host allows (``confine.py``: ``-sandbox``, ``-runas``).

User-controlled strings (names, metadata) never reach the argv: QEMU's option syntax treats
commas specially, and nothing there needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from stratus.virt.qemu.confine import Confinement
from stratus.virt.qemu.layout import InstanceDir

Accel = Literal["kvm", "tcg"]


class Disk(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    format: Literal["qcow2", "raw"]
    # what the guest sees as the disk's serial (/dev/disk/by-id/virtio-<serial>)
    serial: str = ""
    media: Literal["disk", "cdrom"] = "disk"
    readonly: bool = False


class Nic(BaseModel):
    model_config = ConfigDict(frozen=True)

    tap: str
    mac: str
    mtu: int = 1500


class KernelBoot(BaseModel):
    model_config = ConfigDict(frozen=True)

    kernel: str
    initrd: str | None = None
    cmdline: str = ""


class DomainSpec(BaseModel):
    """Everything needed to (re)start an instance's QEMU; stored as ``domain.json``."""

    model_config = ConfigDict(frozen=True)

    uuid: str
    memory_mb: int
    vcpus: int
    accel: Accel
    disks: tuple[Disk, ...] = ()
    nics: tuple[Nic, ...] = ()
    kernel_boot: KernelBoot | None = None
    machine: str = "pc"

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=1))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> DomainSpec:
        return cls.model_validate_json(path.read_text())


def _opt(value: object) -> str:
    """A value inside a QEMU ``key=value,...`` option: commas are doubled."""
    return str(value).replace(",", ",,")


def _drive_args(index: int, disk: Disk) -> list[str]:
    drive = f"file={_opt(disk.path)},format={disk.format},if=none,id=drive{index},discard=unmap"
    if disk.media == "cdrom":
        return [
            "-drive",
            f"{drive},media=cdrom,readonly=on",
            "-device",
            f"ide-cd,drive=drive{index}",
        ]
    if disk.readonly:
        drive += ",readonly=on"
    else:
        # NOTE: by default QEMU reopens a disk file by name, read-only, when a migration
        # (suspend) takes its writers away and read-write when they come back (resume): after
        # -runas it may not open files in the root-only data directory, so it keeps its
        # read-write descriptor instead
        drive += ",file.auto-read-only=off"
    device = f"virtio-blk-pci,drive=drive{index},id=disk{index}"
    if disk.serial:
        device += f",serial={disk.serial}"
    if index == 0:
        device += ",bootindex=1"
    return ["-drive", drive, "-device", device]


def _nic_args(index: int, nic: Nic, accel: Accel) -> list[str]:
    netdev = f"tap,id=net{index},ifname={nic.tap},script=no,downscript=no"
    if accel == "kvm":
        netdev += ",vhost=on"
    device = f"virtio-net-pci,netdev=net{index},mac={nic.mac},id=nic{index}"
    if nic.mtu != 1500:
        device += f",host_mtu={nic.mtu}"
    return ["-netdev", netdev, "-device", device]


def build_argv(
    spec: DomainSpec,
    paths: InstanceDir,
    qemu: str = "qemu-system-x86_64",
    incoming_fd: int | None = None,
    confinement: Confinement | None = None,
) -> list[str]:
    """The full QEMU command line; ``incoming_fd`` is an inherited, open saved-state file."""
    argv = [
        qemu,
        "-name", f"instance-{spec.uuid},debug-threads=on",
        "-uuid", spec.uuid,
        "-machine", spec.machine,
        "-accel", spec.accel,
        "-cpu", "host" if spec.accel == "kvm" else "max",
        "-m", str(spec.memory_mb),
        "-smp", str(spec.vcpus),
        "-nodefaults", "-no-user-config",
        "-display", "none",
        "-device", "VGA",
        "-vnc", f"unix:{_opt(paths.vnc_socket)}",
        "-rtc", "base=utc",
        "-chardev", f"socket,id=serial0,path={_opt(paths.serial_socket)},server=on,wait=off",
        "-serial", "chardev:serial0",
        "-qmp", f"unix:{_opt(paths.qmp_socket)},server=on,wait=off",
        "-pidfile", str(paths.pidfile),
        "-S",
        "-msg", "timestamp=on",
        "-device", "virtio-rng-pci",
    ]  # fmt: skip
    for index, disk in enumerate(spec.disks):
        argv += _drive_args(index, disk)
    for index, nic in enumerate(spec.nics):
        argv += _nic_args(index, nic, spec.accel)
    if spec.kernel_boot is not None:
        argv += ["-kernel", spec.kernel_boot.kernel]
        if spec.kernel_boot.initrd:
            argv += ["-initrd", spec.kernel_boot.initrd]
        argv += ["-append", spec.kernel_boot.cmdline]
    if incoming_fd is not None:
        argv += ["-incoming", f"fd:{incoming_fd}"]
    return argv + (confinement.argv() if confinement else [])
