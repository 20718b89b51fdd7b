"""``build_argv``: the QEMU command line the driver runs for a spec."""

from __future__ import annotations

from pathlib import Path

from stratus.virt.qemu.confine import Confinement
from stratus.virt.qemu.domain import Disk, DomainSpec, KernelBoot, Nic, build_argv
from stratus.virt.qemu.layout import InstanceDir

UUID = "6f1c1a9e-0000-4000-8000-000000000001"
PATHS = InstanceDir.of(Path("/srv/instances"), Path("/run/s"), UUID)


def spec(**kw: object) -> DomainSpec:
    base: dict[str, object] = {
        "uuid": UUID,
        "memory_mb": 512,
        "vcpus": 2,
        "accel": "tcg",
        "disks": (Disk(path="/srv/instances/x/disk", format="qcow2", serial="root"),),
        "nics": (Nic(tap="tap1234567890a", mac="fa:16:3e:00:00:01"),),
    }
    base.update(kw)
    return DomainSpec.model_validate(base)


def value_after(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_identity_size_and_acceleration() -> None:
    argv = build_argv(spec(), PATHS)
    assert argv[0] == "qemu-system-x86_64"
    assert value_after(argv, "-uuid") == [UUID]
    assert value_after(argv, "-name") == [f"instance-{UUID},debug-threads=on"]
    assert value_after(argv, "-m") == ["512"]
    assert value_after(argv, "-smp") == ["2"]
    assert value_after(argv, "-accel") == ["tcg"]
    assert value_after(argv, "-cpu") == ["max"]
    kvm = build_argv(spec(accel="kvm"), PATHS)
    assert value_after(kvm, "-accel") == ["kvm"] and value_after(kvm, "-cpu") == ["host"]
    assert "vhost=on" in value_after(kvm, "-netdev")[0]


def test_no_defaults_paused_with_control_sockets() -> None:
    argv = build_argv(spec(), PATHS)
    for flag in ("-nodefaults", "-no-user-config", "-S"):
        assert flag in argv  # -S: the driver connects the console log before the guest runs
    # NOTE: -daemonize needs fork() and setsid(), which the seccomp sandbox forbids
    assert "-daemonize" not in argv
    assert value_after(argv, "-display") == ["none"]
    assert value_after(argv, "-pidfile") == ["/run/s/" + UUID + "/qemu.pid"]
    assert value_after(argv, "-qmp") == [f"unix:/run/s/{UUID}/qmp.sock,server=on,wait=off"]
    assert value_after(argv, "-vnc") == [f"unix:/run/s/{UUID}/vnc.sock"]  # never on a TCP port
    assert "VGA" in value_after(argv, "-device")  # a screen for the noVNC console
    [chardev] = value_after(argv, "-chardev")
    assert chardev == f"socket,id=serial0,path=/run/s/{UUID}/serial.sock,server=on,wait=off"
    assert "logfile" not in chardev  # QEMU's own log file has no size limit
    assert value_after(argv, "-serial") == ["chardev:serial0"]


def test_unconfined_by_default() -> None:
    argv = build_argv(spec(), PATHS)
    assert "-sandbox" not in argv and "-runas" not in argv


def test_sandboxed_as_an_unprivileged_user() -> None:
    argv = build_argv(spec(), PATHS, confinement=Confinement(runas="stratus-qemu", sandbox=True))
    assert value_after(argv, "-runas") == ["stratus-qemu"]
    # NOTE: QEMU's own -runas needs setuid() after its filter is in place
    assert value_after(argv, "-sandbox") == [
        "on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny"
    ]


def test_sandboxed_without_a_user_switch_denies_privilege_changes() -> None:
    argv = build_argv(spec(), PATHS, confinement=Confinement(sandbox=True))
    assert "-runas" not in argv
    assert value_after(argv, "-sandbox") == [
        "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
    ]
    runas_only = build_argv(spec(), PATHS, confinement=Confinement(runas="stratus-qemu"))
    assert value_after(runas_only, "-runas") == ["stratus-qemu"]
    assert "-sandbox" not in runas_only


def test_disks_are_virtio_root_first_and_formats_explicit() -> None:
    disks = (
        Disk(path="/d/disk", format="qcow2", serial="root"),
        Disk(path="/d/disk.swap", format="raw", serial="swap"),
        Disk(path="/d/config", format="raw", media="cdrom"),
    )
    argv = build_argv(spec(disks=disks), PATHS)
    drives = value_after(argv, "-drive")
    assert drives[0].startswith("file=/d/disk,format=qcow2,if=none,id=drive0")
    assert "format=raw" in drives[1]
    assert drives[2].endswith("media=cdrom,readonly=on")
    # NOTE: no reopening by name (suspend/resume) once QEMU has dropped privileges
    assert [d.endswith(",file.auto-read-only=off") for d in drives] == [True, True, False]
    devices = value_after(argv, "-device")
    assert "virtio-blk-pci,drive=drive0,id=disk0,serial=root,bootindex=1" in devices
    assert "virtio-blk-pci,drive=drive1,id=disk1,serial=swap" in devices
    assert "ide-cd,drive=drive2" in devices


def test_commas_in_paths_are_escaped() -> None:
    argv = build_argv(spec(disks=(Disk(path="/a,b/disk", format="qcow2"),)), PATHS)
    assert value_after(argv, "-drive")[0].startswith("file=/a,,b/disk,format=qcow2")


def test_nics_on_taps_with_mac_and_mtu() -> None:
    nics = (
        Nic(tap="tapa", mac="fa:16:3e:00:00:01"),
        Nic(tap="tapb", mac="fa:16:3e:00:00:02", mtu=1450),
    )
    argv = build_argv(spec(nics=nics), PATHS)
    assert value_after(argv, "-netdev") == [
        "tap,id=net0,ifname=tapa,script=no,downscript=no",
        "tap,id=net1,ifname=tapb,script=no,downscript=no",
    ]
    devices = value_after(argv, "-device")
    assert "virtio-net-pci,netdev=net0,mac=fa:16:3e:00:00:01,id=nic0" in devices
    assert "virtio-net-pci,netdev=net1,mac=fa:16:3e:00:00:02,id=nic1,host_mtu=1450" in devices


def test_direct_kernel_boot_and_incoming_state() -> None:
    kb = KernelBoot(kernel="/d/kernel", initrd="/d/ramdisk", cmdline="root=/dev/vda console=ttyS0")
    argv = build_argv(spec(kernel_boot=kb), PATHS, incoming_fd=7)
    assert value_after(argv, "-kernel") == ["/d/kernel"]
    assert value_after(argv, "-initrd") == ["/d/ramdisk"]
    assert value_after(argv, "-append") == ["root=/dev/vda console=ttyS0"]
    # NOTE: an inherited open file: no exec: (the sandbox forbids it), nothing to open by path
    assert value_after(argv, "-incoming") == ["fd:7"]
    assert "-kernel" not in build_argv(spec(), PATHS)
    assert "-incoming" not in build_argv(spec(), PATHS)


def test_spec_round_trips_through_its_file(tmp_path: Path) -> None:
    s = spec(kernel_boot=KernelBoot(kernel="/k"))
    s.save(tmp_path / "domain.json")
    assert DomainSpec.load(tmp_path / "domain.json") == s
