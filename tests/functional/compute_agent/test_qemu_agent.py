"""The compute agent with the qemu driver, in-process: images come from the image API over HTTP
as the service user, verified against their hashes, once per image per host; a corrupted image
fails the build with a fault that says so, and leaves nothing on the host.

The guests here boot nothing (a blank raw image: SeaBIOS finds no boot device); what is tested is
the agent's wiring, not the guest (that is tests/e2e/test_real_vms.py). TCG is forced, so no KVM
probe runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.cmd import compute
from stratus.cmd.compute import ComputeService
from stratus.common.config import Config
from stratus.compute.image_fetch import ImageFetcher
from stratus.network.backends.noop import NoopBackend
from stratus.virt.fake import FakeDriver
from stratus.virt.qemu.driver import QemuDriver
from stratus.virt.qemu.vifs import TapPlugger
from tests.fixtures.cloud import Cloud, make_config
from tests.fixtures.waiting import wait_until

MV = {"OpenStack-API-Version": "compute 2.79"}
GiB = 1024**3


@pytest.fixture
def cloud_config(tmp_path: Path, db_url: str) -> Config:
    return make_config(tmp_path / "state", db_url, compute={"virt_type": "qemu"})


@pytest.fixture
def qemu(cloud: Cloud) -> Iterator[QemuDriver]:
    cloud.start_control_plane(hosts=("h1",), virt="qemu")
    [agent] = [s for s in cloud.services if isinstance(s, ComputeService)]
    driver = agent.env.driver
    assert isinstance(driver, QemuDriver)
    yield driver
    cloud.stop_control_plane()
    for uuid in driver.list_instance_uuids():  # whatever a failed test left behind
        driver.runtime.kill(driver._dir(uuid), uuid)
    shutil.rmtree(driver.run_dir, ignore_errors=True)  # NOTE: under /run, not tmp_path


def upload(cloud: Cloud, headers: dict[str, str], data: bytes, **extra: Any) -> str:
    body = {"name": "blank", "disk_format": "raw", "container_format": "bare", **extra}
    r = cloud.image.post("/v2/images", json=body, headers=headers)
    assert r.status_code == 201, r.text
    image_id = str(r.json()["id"])
    r = cloud.image.put(
        f"/v2/images/{image_id}/file",
        content=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 204, r.text
    return image_id


def boot(cloud: Cloud, headers: dict[str, str], image_id: str, name: str) -> str:
    body = {"name": name, "imageRef": image_id, "flavorRef": "1", "networks": "none"}
    r = cloud.compute.post("/v2.1/servers", json={"server": body}, headers={**headers, **MV})
    assert r.status_code == 202, r.text
    return str(r.json()["server"]["id"])


def settled(cloud: Cloud, headers: dict[str, str], sid: str, timeout: float = 60) -> Any:
    def built() -> Any:
        r = cloud.compute.get(f"/v2.1/servers/{sid}", headers={**headers, **MV})
        assert r.status_code == 200, r.text
        server = r.json()["server"]
        return server if server["status"] != "BUILD" else None

    return wait_until(built, timeout, f"{sid} to finish building")


def delete_and_wait(cloud: Cloud, headers: dict[str, str], sid: str) -> None:
    assert cloud.compute.delete(f"/v2.1/servers/{sid}", headers=headers).status_code == 204
    wait_until(
        lambda: cloud.compute.get(f"/v2.1/servers/{sid}", headers=headers).status_code == 404,
        60,
        f"{sid} to be deleted",
    )


def test_private_image_fetched_once_per_host_then_everything_removed(
    cloud: Cloud, qemu: QemuDriver
) -> None:
    demo = cloud.demo_headers()
    image_id = upload(cloud, demo, b"\0" * (1024 * 1024))  # private to project demo
    sids = [boot(cloud, demo, image_id, f"vm{i}") for i in range(2)]
    servers = [settled(cloud, demo, sid) for sid in sids]
    assert [s["status"] for s in servers] == ["ACTIVE", "ACTIVE"], servers
    base = qemu.instances_path / "_base"
    assert sorted(p.name for p in base.iterdir() if not p.name.startswith(".")) == [
        image_id,
        f"{image_id}.json",
    ]
    pids = [qemu.runtime.pid(qemu._dir(sid), sid) for sid in sids]
    assert all(pids), pids
    r = cloud.compute.get("/v2.1/os-hypervisors/detail", headers=cloud.admin_headers())
    [hypervisor] = r.json()["hypervisors"]
    assert hypervisor["hypervisor_type"] == "QEMU"  # TCG, as configured
    for sid in sids:
        delete_and_wait(cloud, demo, sid)
    for sid, pid in zip(sids, pids, strict=True):
        assert not (qemu.instances_path / sid).exists()
        assert not qemu._dir(sid).run.exists()
        assert sid.encode() not in _cmdline(pid)  # that QEMU is gone (or its pid reused)


def _cmdline(pid: int | None) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_corrupted_image_fails_the_build_with_a_clear_fault(cloud: Cloud, qemu: QemuDriver) -> None:
    admin = cloud.admin_headers()
    image_id = upload(cloud, admin, b"\0" * 65536)
    stored = Path(cloud.cfg.image.filesystem_store_datadir) / image_id
    stored.write_bytes(b"\1" * 65536)  # bit rot in the store, behind the image service's back
    server = settled(cloud, admin, boot(cloud, admin, image_id, "rotten"))
    assert server["status"] == "ERROR", server
    message = server["fault"]["message"]
    assert f"image {image_id} failed verification" in message, message
    assert "sha512" in message
    assert list((qemu.instances_path / "_base").glob(f"{image_id}*")) == []
    assert not (qemu.instances_path / server["id"]).exists()


def test_image_without_data_fails_the_build(cloud: Cloud, qemu: QemuDriver) -> None:
    admin = cloud.admin_headers()
    image_id = upload(cloud, admin, b"\0" * 4096)
    # NOTE: deactivated images cannot be booted by users; the check in the agent is what
    # keeps a race (deactivated after scheduling) from reaching QEMU.
    r = cloud.image.post(f"/v2/images/{image_id}/actions/deactivate", headers=admin)
    assert r.status_code == 204, r.text
    fetch = qemu.fetch_image
    assert fetch is not None
    with pytest.raises(Exception, match=f"image {image_id} is deactivated, not active"):
        fetch(image_id, qemu.instances_path / "probe.part")


class PluggingBackend(NoopBackend):
    """A backend that offers the qemu driver its taps (as linuxbridge does)."""

    def __init__(self) -> None:
        self.plugger = TapPlugger()

    def vif_plugger(self) -> TapPlugger:
        return self.plugger


def test_the_driver_gets_the_backends_plugger_and_a_service_fetcher(cloud: Cloud) -> None:
    backend = PluggingBackend()
    driver = compute.load_driver(cloud.cfg, "qemu", backend)
    assert isinstance(driver, QemuDriver)
    assert driver.plugger is backend.plugger
    assert isinstance(driver.fetch_image, ImageFetcher)
    assert driver.fetch_image.session.creds.username == "stratus"
    assert compute.load_driver(cloud.cfg, "qemu", NoopBackend()).plugger is None  # type: ignore[attr-defined]
    assert isinstance(compute.load_driver(cloud.cfg, "fake", backend), FakeDriver)


def test_a_qemu_agent_without_service_credentials_says_where_they_go(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stratus.cmd.main", "--data-dir", str(tmp_path), "compute",
         "--host", "h1", "--virt", "qemu"],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "STRATUS_MY_IP": "127.0.0.1"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "no password for the service user 'stratus'" in done.stderr
    assert str(tmp_path / "service-credentials") in done.stderr
