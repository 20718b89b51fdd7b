"""The ``VirtDriver`` contract, run against every driver (the QEMU driver joins later).

What the compute agent relies on: states after each call, idempotent removals, ``InstanceNotFound``
for unknown instances, ``NotSupported`` matching ``capabilities``, snapshots on disk, resize
steps on one host and across two.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from stratus.common import config
from stratus.objects import states
from stratus.virt import loader
from stratus.virt.driver import InstanceNotFound, NotSupported, VirtDriver
from tests.fixtures.instances import make_flavor, make_instance, make_vif

DRIVERS = ["fake"]


def _driver(name: str, host: str, tmp_path: Path) -> VirtDriver:
    cfg = config.load(state_path=str(tmp_path / "state"), environ={})
    driver = loader.load(name, cfg)
    driver.init_host(host)
    return driver


@pytest.fixture(params=DRIVERS)
def driver_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def driver(driver_name: str, tmp_path: Path) -> VirtDriver:
    return _driver(driver_name, "host-a", tmp_path)


def _power(driver: VirtDriver, instance) -> int:  # type: ignore[no-untyped-def]
    return driver.get_info(instance).power_state


def test_host_resources_name_the_host(driver: VirtDriver) -> None:
    res = driver.get_host_resources()
    assert res.host == "host-a"
    assert res.hypervisor_hostname == "host-a"
    assert res.hypervisor_type == driver.hypervisor_type != ""
    assert res.vcpus > 0 and res.memory_mb > 0 and res.local_gb > 0


def test_spawn_runs_and_lists_the_instance(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [make_vif()])
    assert inst.uuid in driver.list_instance_uuids()
    info = driver.get_info(inst)
    assert info.power_state == states.RUNNING
    assert info.memory_mb == inst.flavor.memory_mb
    assert driver.get_host_resources().running_vms == 1


def test_spawn_powered_off(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [], power_on=False)
    assert _power(driver, inst) == states.SHUTDOWN


def test_unknown_instance_is_not_found(driver: VirtDriver) -> None:
    inst = make_instance()
    with pytest.raises(InstanceNotFound):
        driver.get_info(inst)
    with pytest.raises(InstanceNotFound):
        driver.power_on(inst, [])


def test_destroy_is_idempotent(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [])
    driver.destroy(inst, [])
    driver.destroy(inst, [])
    assert inst.uuid not in driver.list_instance_uuids()
    with pytest.raises(InstanceNotFound):
        driver.get_info(inst)


def test_power_off_and_on_are_idempotent(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [])
    driver.power_off(inst, timeout=1)
    driver.power_off(inst, timeout=1)
    assert _power(driver, inst) == states.SHUTDOWN
    driver.power_on(inst, [])
    driver.power_on(inst, [])
    assert _power(driver, inst) == states.RUNNING


@pytest.mark.parametrize("kind", ["SOFT", "HARD"])
def test_reboot_leaves_it_running(driver: VirtDriver, kind: str) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [])
    driver.reboot(inst, [], kind)
    assert _power(driver, inst) == states.RUNNING


def test_hard_reboot_starts_a_stopped_guest(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [], power_on=False)
    driver.reboot(inst, [], "HARD")
    assert _power(driver, inst) == states.RUNNING


def test_pause_and_suspend_follow_capabilities(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [])
    if not driver.capabilities.supports_pause:
        with pytest.raises(NotSupported):
            driver.pause(inst)
    else:
        driver.pause(inst)
        assert _power(driver, inst) == states.PAUSED_POWER
        driver.unpause(inst)
        assert _power(driver, inst) == states.RUNNING
    if not driver.capabilities.supports_suspend:
        with pytest.raises(NotSupported):
            driver.suspend(inst)
    else:
        driver.suspend(inst)
        assert _power(driver, inst) == states.SUSPENDED_POWER
        driver.resume(inst, [])
        assert _power(driver, inst) == states.RUNNING


def test_snapshot_writes_a_file_under_workdir(driver: VirtDriver, tmp_path: Path) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [])
    if not driver.capabilities.supports_snapshot:
        with pytest.raises(NotSupported):
            driver.snapshot(inst, tmp_path / "snap")
        return
    snap = driver.snapshot(inst, tmp_path / "snap")
    assert snap.path.parent == tmp_path / "snap"
    assert snap.path.stat().st_size > 0
    assert snap.disk_format in ("raw", "qcow2")
    assert snap.container_format == "bare"
    assert _power(driver, inst) == states.RUNNING  # a snapshot does not stop the guest


def test_console_output_follows_capabilities(driver: VirtDriver) -> None:
    inst = make_instance()
    driver.spawn(inst, None, [])
    if not driver.capabilities.supports_console_output:
        with pytest.raises(NotSupported):
            driver.get_console_output(inst)
        return
    assert driver.get_console_output(inst).strip() != ""


def test_same_host_resize_then_revert_and_confirm(driver: VirtDriver) -> None:
    old, new = make_flavor("small", 1, 512), make_flavor("big", 2, 1024)
    inst = make_instance(flavor=old)
    driver.spawn(inst, None, [])
    driver.migrate_disk_and_power_off(inst, "host-a", new)
    assert _power(driver, inst) == states.SHUTDOWN
    driver.finish_migration(inst, [], new, power_on=True)
    assert driver.get_info(inst).memory_mb == 1024
    assert _power(driver, inst) == states.RUNNING
    driver.revert_migration(inst, [], power_on=True)
    assert driver.get_info(inst).memory_mb == 512
    assert _power(driver, inst) == states.RUNNING
    # again, and keep it this time
    driver.migrate_disk_and_power_off(inst, "host-a", new)
    driver.finish_migration(inst, [], new, power_on=True)
    driver.confirm_migration(inst, [])
    driver.confirm_migration(inst, [])
    assert driver.get_info(inst).memory_mb == 1024
    assert inst.uuid in driver.list_instance_uuids()


def test_cross_host_resize_confirm(driver_name: str, tmp_path: Path) -> None:
    src, dst = _driver(driver_name, "src", tmp_path), _driver(driver_name, "dst", tmp_path)
    new = make_flavor("big", 2, 1024)
    inst = make_instance()
    src.spawn(inst, None, [])
    src.migrate_disk_and_power_off(inst, "dst", new)
    dst.finish_migration(inst, [], new, power_on=True)
    assert dst.get_info(inst).memory_mb == 1024
    src.confirm_migration(inst, [])
    assert inst.uuid not in src.list_instance_uuids()
    assert dst.get_info(inst).power_state == states.RUNNING


def test_cross_host_resize_revert(driver_name: str, tmp_path: Path) -> None:
    src, dst = _driver(driver_name, "src", tmp_path), _driver(driver_name, "dst", tmp_path)
    inst = make_instance()
    src.spawn(inst, None, [])
    src.migrate_disk_and_power_off(inst, "dst", make_flavor("big", 2, 1024))
    dst.finish_migration(inst, [], make_flavor("big", 2, 1024), power_on=False)
    assert dst.get_info(inst).power_state == states.SHUTDOWN
    dst.destroy(inst, [])
    src.revert_migration(inst, [], power_on=True)
    assert src.get_info(inst).memory_mb == inst.flavor.memory_mb
    assert src.get_info(inst).power_state == states.RUNNING
    assert dst.list_instance_uuids() == []


def test_concurrent_spawns_are_all_kept(driver: VirtDriver) -> None:
    instances = [make_instance() for _ in range(40)]
    threads = [threading.Thread(target=driver.spawn, args=(i, None, [])) for i in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(driver.list_instance_uuids()) == sorted(i.uuid for i in instances)
