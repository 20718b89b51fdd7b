"""What only the fake driver does: sizes from ``[fake_driver]``, failure injection, test hooks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.fixtures.instances import make_flavor, make_instance, make_vif

from stratus.common.config import ConfigError, FakeDriverSection, load
from stratus.objects import states
from stratus.virt import loader
from stratus.virt.driver import DriverError
from stratus.virt.fake import FakeDriver


def _fake(host: str = "h1", **conf: float) -> FakeDriver:
    driver = FakeDriver(FakeDriverSection(**conf), host_ip="192.0.2.10")  # type: ignore[arg-type]
    driver.init_host(host)
    return driver


def test_resources_come_from_config() -> None:
    res = _fake(vcpus=4, memory_mb=2048, local_gb=40).get_host_resources()
    assert (res.vcpus, res.memory_mb, res.local_gb) == (4, 2048, 40)
    assert res.hypervisor_type == "fake"
    assert res.host_ip == "192.0.2.10"


def test_loader_knows_fake_and_explains_unknown(tmp_path: Path) -> None:
    cfg = load(state_path=str(tmp_path), environ={})
    assert isinstance(loader.load("fake", cfg), FakeDriver)
    with pytest.raises(ConfigError, match=r"unknown virt driver 'xen'.*fake"):
        loader.load("xen", cfg)
    assert loader.load("qemu", cfg).name == "qemu"  # constructed only: no QEMU needed yet


@pytest.mark.parametrize(
    ("where", "value", "fails_on_h1"),
    [
        ("metadata", "h1", True),
        ("metadata", "h2, h1", True),
        ("metadata", "h2", False),
        ("metadata", "*", True),
        ("extra_specs", "h1", True),
        ("extra_specs", "h3", False),
    ],
)
def test_fail_build_names_hosts(where: str, value: str, fails_on_h1: bool) -> None:
    if where == "metadata":
        inst = make_instance(metadata={"fake:fail_build": value})
    else:
        inst = make_instance(flavor=make_flavor(extra_specs={"fake:fail_build": value}))
    driver = _fake("h1")
    if fails_on_h1:
        with pytest.raises(DriverError, match="build failure injected for host h1"):
            driver.spawn(inst, None, [])
        assert driver.list_instance_uuids() == []  # nothing left behind
    else:
        driver.spawn(inst, None, [])
        assert driver.list_instance_uuids() == [inst.uuid]


def test_fail_ops_injects_any_operation() -> None:
    inst = make_instance(metadata={"fake:fail_ops": "power_off,snapshot"})
    driver = _fake()
    driver.spawn(inst, None, [])
    with pytest.raises(DriverError, match="injected failure of power_off on host h1"):
        driver.power_off(inst)
    driver.pause(inst)  # not listed: works
    assert driver.get_info(inst).power_state == states.PAUSED_POWER


def test_spawn_delay() -> None:
    driver = _fake(spawn_delay=0.2)
    started = time.monotonic()
    driver.spawn(make_instance(), None, [])
    assert time.monotonic() - started >= 0.2


def test_console_shows_a_boot_log_with_the_macs() -> None:
    driver = _fake()
    inst = make_instance(hostname="web-1")
    driver.spawn(inst, None, [make_vif(7)])
    log = driver.get_console_output(inst)
    assert "fa:16:3e:00:00:07" in log
    assert "web-1 login:" in log
    driver.reboot(inst, [], "SOFT")
    assert driver.get_console_output(inst).count("login:") == 2


def test_soft_reboot_of_a_stopped_guest_fails() -> None:
    driver = _fake()
    inst = make_instance()
    driver.spawn(inst, None, [], power_on=False)
    with pytest.raises(DriverError, match="soft reboot"):
        driver.reboot(inst, [], "SOFT")


def test_pause_needs_a_running_guest() -> None:
    driver = _fake()
    inst = make_instance()
    driver.spawn(inst, None, [], power_on=False)
    with pytest.raises(DriverError, match=r"cannot pause .* SHUTDOWN"):
        driver.pause(inst)


def test_snapshot_is_raw_data_the_image_service_accepts(tmp_path: Path) -> None:
    from stratus.image.formats import QemuImg, inspect

    driver = _fake()
    inst = make_instance()
    driver.spawn(inst, None, [])
    snap = driver.snapshot(inst, tmp_path)
    assert snap.disk_format == "raw"
    assert inspect(snap.path, "raw", QemuImg()).format == "raw"


def test_external_hooks() -> None:
    driver = _fake()
    a, b = make_instance(), make_instance()
    driver.spawn(a, None, [])
    driver.spawn(b, None, [])
    driver.external_stop(a.uuid)
    driver.external_destroy(b.uuid)
    assert driver.get_info(a).power_state == states.SHUTDOWN
    assert driver.list_instance_uuids() == [a.uuid]
    vm = driver.vm(a.uuid)
    assert vm is not None and "by the guest" in vm.console[-1]


def test_host_uptime_line(tmp_path: Path) -> None:
    import datetime as dt

    from stratus.virt import hardware

    line = hardware.format_uptime(
        dt.datetime(2026, 1, 1, 8, 32, 11), 93 * 86400 + 18 * 3600 + 25 * 60, (0.2, 0.12, 0.14)
    )
    assert line == " 08:32:11 up 93 days, 18:25,  load average: 0.20, 0.12, 0.14"
    assert hardware.format_uptime(dt.datetime(2026, 1, 1), 300, (0, 0, 0)).endswith(
        "up 5 min,  load average: 0.00, 0.00, 0.00"
    )
    (tmp_path / "uptime").write_text("3700.5 100.0\n")
    (tmp_path / "loadavg").write_text("1.00 0.50 0.25 1/100 42\n")
    assert " up  1:01,  load average: 1.00, 0.50, 0.25" in hardware.host_uptime(tmp_path)
    assert "load average" in _fake().get_host_uptime()
