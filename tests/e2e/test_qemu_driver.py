"""The qemu virt driver with real QEMU guests (the test image) on a private namespace network.

One guest is booted and taken through the whole lifecycle (power, pause, reboots, snapshot,
suspend/resume, cold resize, agent restart, a kill behind the driver's back, destroy); a second
boots AMI-style by direct kernel boot. Every QEMU runs as the unprivileged ``stratus-qemu`` under
seccomp (checked in ``/proc/<pid>/status`` after each start); a third guest floods its serial
port and the console log stays under its cap. Acceleration is whatever the probe picks on this
host (TCG on machines where KVM guests hang). Run by hand with ``-s`` to see the timings.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.objects.instance import Instance
from stratus.objects.network import VIF
from stratus.virt.driver import DriverError
from stratus.virt.qemu import accel, confine
from stratus.virt.qemu.console_log import backup_path
from stratus.virt.qemu.driver import QemuDriver
from stratus.virt.qemu.vifs import TapPlugger, tap_name
from tests.e2e.guest_lab import GuestLab, build_test_image, needs_qemu
from tests.fixtures.waiting import scaled, wait_until

pytestmark = [pytest.mark.e2e, needs_qemu]

BOOT_TIMEOUT = 120.0
READY = "STRATUS-GUEST-READY ip="


class LocalImages:
    """A fetcher over local files, as the image service would serve them (with hashes)."""

    def __init__(self, image_dir: Path) -> None:
        self.files: dict[str, tuple[Path, ImageMeta]] = {}
        self.fetches: list[str] = []
        self.add("cirros", image_dir / "cirros.qcow2", "qcow2")
        self.add("cirros-kernel", image_dir / "vmlinuz", "aki")
        self.add("cirros-ramdisk", image_dir / "initrd.img", "ari")
        self.add(
            "cirros-ami",
            image_dir / "cirros.qcow2",
            "qcow2",
            {"kernel_id": "cirros-kernel", "ramdisk_id": "cirros-ramdisk"},
        )

    def add(self, image_id: str, path: Path, fmt: str, props: dict[str, str] | None = None) -> None:
        digest = hashlib.sha512(path.read_bytes()).hexdigest()
        meta = ImageMeta(
            id=image_id,
            name=image_id,
            disk_format=fmt,
            container_format=fmt if fmt in ("aki", "ari") else "bare",
            size=path.stat().st_size,
            os_hash_algo="sha512",
            os_hash_value=digest,
            properties=props or {},
        )
        self.files[image_id] = (path, meta)

    def __call__(self, image_id: str, dest: Path) -> ImageMeta:
        self.fetches.append(image_id)
        path, meta = self.files[image_id]
        shutil.copyfile(path, dest)
        return meta


def flavor(vcpus: int = 1, ram: int = 128, root: int = 1, eph: int = 0, swap: int = 0) -> Flavor:
    return Flavor(
        flavorid=f"f{vcpus}-{ram}",
        name=f"test.{vcpus}.{ram}",
        vcpus=vcpus,
        memory_mb=ram,
        root_gb=root,
        ephemeral_gb=eph,
        swap=swap,
    )


def make_instance(fl: Flavor, image_ref: str = "cirros") -> Instance:
    return Instance(
        uuid=str(uuid.uuid4()),
        display_name="vm",
        hostname="vm",
        project_id="p1",
        user_id="u1",
        image_ref=image_ref,
        flavor=fl,
        vm_state=states.BUILDING,
    )


def make_vif(mac: str) -> VIF:
    return VIF(port_id=str(uuid.uuid4()), network_id="n1", mac_address=mac)


@pytest.fixture(scope="module")
def image_dir() -> Path:
    return build_test_image()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuestLab]:
    lab = GuestLab(tmp_path_factory.mktemp("lab"))
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="module")
def images(image_dir: Path) -> LocalImages:
    return LocalImages(image_dir)


def new_driver(base: Path, lab: GuestLab, images: LocalImages, image_dir: Path) -> QemuDriver:
    driver = QemuDriver(
        base / "instances",
        virt_type="auto",
        fetch_image=images,
        plugger=TapPlugger(bridge=lab.bridge, netns=lab.netns),
        run_dir=base / "run",
        probe_kernel=image_dir / "vmlinuz",
    )
    driver.init_host("e2e-host")
    return driver


@pytest.fixture(scope="module")
def driver(
    tmp_path_factory: pytest.TempPathFactory, lab: GuestLab, images: LocalImages, image_dir: Path
) -> Iterator[QemuDriver]:
    base = tmp_path_factory.mktemp("qemu")
    driver = new_driver(base, lab, images, image_dir)
    yield driver
    for uid in driver.list_instance_uuids():  # whatever a failed test left behind
        driver.destroy(make_instance(flavor()).model_copy(update={"uuid": uid}), [])


def wait_banner(driver: QemuDriver, inst: Instance, count: int, started: float) -> float:
    """Wait for the ``count``-th guest-ready banner on the console; seconds since ``started``."""
    try:
        wait_until(
            lambda: driver.get_console_output(inst).count(READY) >= count,
            BOOT_TIMEOUT,
            f"guest-ready banner #{count}",
            step=0.2,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{driver.get_console_output(inst)[-3000:]}") from None
    return time.monotonic() - started


def power(driver: QemuDriver, inst: Instance) -> int:
    return driver.get_info(inst).power_state


def qemu_pid(driver: QemuDriver, inst: Instance) -> int | None:
    return driver.runtime.pid(driver._dir(inst.uuid), inst.uuid)


@pytest.fixture(scope="module")
def qemu_uid() -> int:
    try:
        return pwd.getpwnam(confine.DEFAULT_USER).pw_uid
    except KeyError:
        pytest.fail(f"no user {confine.DEFAULT_USER}: run tools/install-deps.sh test")


def assert_confined(driver: QemuDriver, inst: Instance, uid: int) -> None:
    """The guest's QEMU runs as the unprivileged user, under its seccomp filter."""
    pid = qemu_pid(driver, inst)
    assert pid is not None
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    assert status["Uid"].split() == [str(uid)] * 4  # real, effective, saved, file system
    assert status["Gid"].split()[0] != "0"
    assert status["Seccomp"].strip() == "2"  # a filter (-sandbox on)
    assert status["NoNewPrivs"].strip() == "1"
    assert status["CapEff"].strip() == "0" * 16


def test_probe_decision_matches_what_the_guest_does(driver: QemuDriver, image_dir: Path) -> None:
    assert driver.decision is not None
    print(f"\n[accel] {driver.decision.accel}: {driver.decision.reason}")
    # NOTE: the probe's own 10 s limit is for choosing an accelerator quickly; here the probe
    # guest must come up under TCG on a possibly loaded machine, so it gets a test deadline.
    tcg = accel.run_probe(
        driver.qemu, image_dir / "vmlinuz", driver.instances_path, "tcg", timeout=scaled(60)
    )
    assert tcg.marker_seen, tcg.detail  # the probe guest itself works
    if accel.kvm_device_usable() is None and not driver.decision.cached:
        # the probe just ran: its verdict is the decision
        assert ("KVM probe:" in driver.decision.reason) == (driver.decision.accel == "kvm")
    again = accel.select_accel("auto", driver.qemu, driver.instances_path, image_dir / "vmlinuz")
    assert again.accel == driver.decision.accel
    assert again.cached or "not usable" in again.reason
    assert driver.hypervisor_type == ("KVM" if driver.decision.accel == "kvm" else "QEMU")
    res = driver.get_host_resources()
    assert res.hypervisor_type == driver.hypervisor_type
    assert res.vcpus == os.cpu_count() and res.memory_mb > 0 and res.local_gb > 0


def test_spawn_failures_leave_nothing_behind(driver: QemuDriver, images: LocalImages) -> None:
    inst = make_instance(flavor(ram=64))
    path, meta = images.files["cirros"]
    images.files["cirros-big"] = (
        path,
        meta.model_copy(update={"id": "cirros-big", "min_ram": 256}),
    )
    vif = make_vif("fa:16:3e:00:00:99")
    with pytest.raises(DriverError, match="memory is too small"):
        driver.spawn(inst, images.files["cirros-big"][1], [vif])
    assert inst.uuid not in driver.list_instance_uuids()
    assert not (driver.instances_path / inst.uuid).exists()
    images.files["cirros-bad"] = (
        path,
        meta.model_copy(update={"id": "cirros-bad", "os_hash_value": "0" * 128}),
    )
    with pytest.raises(DriverError, match="failed verification"):
        driver.spawn(make_instance(flavor()), images.files["cirros-bad"][1], [vif])
    assert not any(p.name.startswith("cirros-bad") for p in driver.cache.base_dir.iterdir())


def test_instance_lifecycle(
    driver: QemuDriver, lab: GuestLab, images: LocalImages, qemu_uid: int
) -> None:
    mac = "fa:16:3e:00:00:0b"
    ip = lab.add_host(mac, 11)
    vif = make_vif(mac)
    inst = make_instance(flavor(eph=1, swap=64))
    images.fetches.clear()
    t0 = time.monotonic()
    driver.spawn(inst, images.files["cirros"][1], [vif])
    boot = wait_banner(driver, inst, 1, t0)
    assert f"{READY}{ip}" in driver.get_console_output(inst)
    lab.wait_ssh(ip)
    print(f"\n[spawn] banner after {boot:.1f} s, SSH after {time.monotonic() - t0:.1f} s")
    assert images.fetches == ["cirros"]
    assert power(driver, inst) == states.RUNNING
    assert_confined(driver, inst, qemu_uid)
    assert driver.get_info(inst).vcpus == 1
    disks = lab.ssh(ip, "cat", "/proc/partitions").stdout
    assert "vdb" in disks and "vdc" in disks  # ephemeral and swap
    assert lab.ssh(ip, "echo kept > /tmp/mark").returncode == 0

    driver.pause(inst)
    assert power(driver, inst) == states.PAUSED_POWER
    with driver.runtime.qmp(driver._dir(inst.uuid)) as qmp:
        assert qmp.status() == "paused"
    driver.unpause(inst)
    assert power(driver, inst) == states.RUNNING

    t = time.monotonic()
    driver.suspend(inst)
    assert power(driver, inst) == states.SUSPENDED_POWER
    assert qemu_pid(driver, inst) is None
    driver.resume(inst, [vif])
    assert power(driver, inst) == states.RUNNING
    out = lab.ssh(ip, "cat", "/tmp/mark")
    assert out.stdout.strip() == "kept", out  # same guest, same memory
    assert_confined(driver, inst, qemu_uid)  # a new QEMU, resumed from a descriptor
    print(f"[suspend+resume] {time.monotonic() - t:.1f} s")

    pid = qemu_pid(driver, inst)
    t = time.monotonic()
    driver.reboot(inst, [vif], "HARD")
    wait_banner(driver, inst, 2, t)
    assert qemu_pid(driver, inst) == pid  # reset, same process
    print(f"[hard reboot] banner after {time.monotonic() - t:.1f} s")

    t = time.monotonic()
    # NOTE: the assertion below needs the guest to obey ACPI before the driver gives up and
    # kills QEMU; a TCG guest on a loaded machine is slow to run its shutdown scripts.
    driver.power_off(inst, timeout=scaled(120))
    assert "stratus-guest: shutting down" in driver.get_console_output(inst)  # ACPI was obeyed
    assert qemu_pid(driver, inst) is None
    assert power(driver, inst) == states.SHUTDOWN
    print(f"[power off, ACPI] {time.monotonic() - t:.1f} s")
    driver.power_off(inst)  # idempotent
    t = time.monotonic()
    driver.power_on(inst, [vif])
    wait_banner(driver, inst, 3, t)
    assert power(driver, inst) == states.RUNNING
    assert_confined(driver, inst, qemu_uid)

    t = time.monotonic()
    driver.reboot(inst, [vif], "SOFT")
    wait_banner(driver, inst, 4, t)
    print(f"[soft reboot] banner after {time.monotonic() - t:.1f} s")

    snap = driver.snapshot(inst, driver.instances_path.parent / "snapshots")
    info = json.loads(
        subprocess.run(
            ["qemu-img", "info", "-f", "qcow2", "--output=json", str(snap.path)],
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert info["format"] == "qcow2" and "backing-filename" not in info
    assert power(driver, inst) == states.RUNNING  # paused only while copying
    snap.path.unlink()

    # agent restart: a new driver on the same directories re-attaches; the guest never stopped
    pid = qemu_pid(driver, inst)
    restarted = new_driver(
        driver.instances_path.parent, lab, images, Path(driver.probe_kernel or "")
    )
    assert inst.uuid in restarted.list_instance_uuids()
    assert power(restarted, inst) == states.RUNNING and qemu_pid(restarted, inst) == pid

    # killed behind Stratus's back: the power state says so
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(
        lambda: power(restarted, inst) == states.SHUTDOWN, 60, "power state SHUTDOWN after a kill"
    )

    d = driver._dir(inst.uuid)
    driver.destroy(inst, [vif])
    assert power_gone(driver, inst)
    assert not d.root.exists() and not d.run.exists()
    assert (
        subprocess.run(
            ["ip", "-n", lab.netns, "link", "show", tap_name(vif)], capture_output=True
        ).returncode
        != 0
    )
    driver.destroy(inst, [vif])  # idempotent


def power_gone(driver: QemuDriver, inst: Instance) -> bool:
    return inst.uuid not in driver.list_instance_uuids() and qemu_pid(driver, inst) is None


def test_cold_resize_confirm_and_revert(
    driver: QemuDriver, lab: GuestLab, images: LocalImages, qemu_uid: int
) -> None:
    mac = "fa:16:3e:00:00:0c"
    ip = lab.add_host(mac, 12)
    vif = make_vif(mac)
    inst = make_instance(flavor())
    t0 = time.monotonic()
    driver.spawn(inst, images.files["cirros"][1], [vif])
    wait_banner(driver, inst, 1, t0)
    bigger = flavor(vcpus=2, ram=192, root=2, eph=1)

    driver.migrate_disk_and_power_off(inst, "e2e-host", bigger)
    assert power(driver, inst) == states.SHUTDOWN
    t = time.monotonic()
    driver.finish_migration(inst, [vif], bigger, power_on=True)
    wait_banner(driver, inst, 2, t)
    lab.wait_ssh(ip)
    assert lab.ssh(ip, "nproc").stdout.strip() == "2"
    assert "vdb" in lab.ssh(ip, "cat", "/proc/partitions").stdout
    assert driver.get_info(inst).memory_mb == 192
    assert_confined(driver, inst, qemu_uid)  # the new disks were made by the agent as root

    t = time.monotonic()
    driver.revert_migration(inst, [vif], power_on=True)
    wait_banner(driver, inst, 3, t)
    lab.wait_ssh(ip)
    assert lab.ssh(ip, "nproc").stdout.strip() == "1"
    assert "vdb" not in lab.ssh(ip, "cat", "/proc/partitions").stdout
    assert driver.get_info(inst).memory_mb == 128

    driver.migrate_disk_and_power_off(inst, "e2e-host", bigger)
    driver.finish_migration(inst, [vif], bigger, power_on=False)
    driver.confirm_migration(inst, [vif])
    driver.confirm_migration(inst, [vif])  # idempotent
    d = driver._dir(inst.uuid)
    assert not d.resize_backup.exists()
    assert driver.get_info(inst).vcpus == 2
    driver.destroy(inst, [vif])
    assert power_gone(driver, inst)


def test_direct_kernel_boot(driver: QemuDriver, lab: GuestLab, images: LocalImages) -> None:
    mac = "fa:16:3e:00:00:0d"
    ip = lab.add_host(mac, 13)
    vif = make_vif(mac)
    inst = make_instance(flavor(root=0), image_ref="cirros-ami")
    t0 = time.monotonic()
    driver.spawn(inst, images.files["cirros-ami"][1], [vif])
    wait_banner(driver, inst, 1, t0)
    assert "Command line: root=/dev/vda console=tty0 console=ttyS0" in driver.get_console_output(
        inst
    )
    lab.wait_ssh(ip)
    print(f"\n[kernel boot] SSH after {time.monotonic() - t0:.1f} s")
    driver.destroy(inst, [vif])
    assert power_gone(driver, inst)


# NOTE: the sleep lets the serial port send what the kernel still buffers before power-off
FLOOD_INIT = """#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
echo STRATUS-FLOOD-START
/bin/busybox head -c {size} /dev/urandom | /bin/busybox base64
echo STRATUS-FLOOD-DONE
/bin/busybox sleep 2
/bin/busybox poweroff -f
"""


def _newc(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> bytes:
    fields = (0, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def flood_initramfs(dest: Path, size: int) -> Path:
    """An initramfs whose /init writes ``size`` random bytes, base64'd, to the serial console."""
    archive = (
        _newc("dev", 0o040755)
        + _newc("dev/console", 0o020600, rdev=(5, 1))
        + _newc("bin", 0o040755)
        + _newc("bin/busybox", 0o100755, Path("/bin/busybox").read_bytes())
        + _newc("init", 0o100755, FLOOD_INIT.format(size=size).encode())
        + _newc("TRAILER!!!", 0)
    )
    dest.write_bytes(gzip.compress(archive, mtime=0))
    return dest


@pytest.mark.skipif(not Path("/bin/busybox").is_file(), reason="needs busybox-static")
def test_a_guest_flooding_its_serial_port_stays_under_the_log_cap(
    driver: QemuDriver, images: LocalImages, image_dir: Path, tmp_path: Path, qemu_uid: int
) -> None:
    cap, backups, flood = 128 * 1024, 1, 512 * 1024  # base64: 700 KB, over five times the cap
    images.add("flood-initrd", flood_initramfs(tmp_path / "flood.img", flood), "ari")
    images.add(
        "flood",
        image_dir / "cirros.qcow2",
        "qcow2",
        {
            "kernel_id": "cirros-kernel",
            "ramdisk_id": "flood-initrd",
            "os_command_line": "console=ttyS0 rdinit=/init",
        },
    )
    old = driver.console.max_size, driver.console.max_backups
    driver.console.max_size, driver.console.max_backups = cap, backups
    inst = make_instance(flavor(root=0), image_ref="flood")
    try:
        t0 = time.monotonic()
        driver.spawn(inst, images.files["flood"][1], [])
        assert_confined(driver, inst, qemu_uid)
        # NOTE: the guest powers itself off once it has written everything
        wait_until(lambda: power(driver, inst) == states.SHUTDOWN, scaled(300), "flood to end")
        seconds = time.monotonic() - t0
        d = driver._dir(inst.uuid)
        sizes = [p.stat().st_size for p in (d.console_log, backup_path(d.console_log, 0))]
        print(f"\n[serial flood] {flood * 4 // 3} bytes in {seconds:.1f} s; log files {sizes}")
        assert all(size <= cap for size in sizes)
        assert not backup_path(d.console_log, 1).exists()
        output = driver.get_console_output(inst)
        assert "STRATUS-FLOOD-DONE" in output  # the newest output is kept ...
        assert "STRATUS-FLOOD-START" not in output  # ... the oldest rotated away
        assert len(output) <= cap * (1 + backups)
    finally:
        driver.console.max_size, driver.console.max_backups = old
        driver.destroy(inst, [])
    assert power_gone(driver, inst)
