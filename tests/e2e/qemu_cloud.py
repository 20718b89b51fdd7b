"""``stratus up`` with real VMs (its default qemu driver) for end-to-end tests, and the cleanup of
what such a cloud leaves on the host.

The test image is built once into a shared cache (``$STRATUS_TEST_IMAGE_DIR``, default
``<repo>/var/test-image``) and registered as ``cirros`` by ``stratus up`` itself; the power-state
sync runs every ``SYNC_INTERVAL`` seconds so a guest killed behind Stratus's back is noticed fast.
Guests and the dataplane outlive ``stratus up`` by design, so :func:`clean_host` kills what is
left of this cloud's guests and tears down its ``qdhcp-*`` namespaces, and nothing of any other.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

from stratus.network import backend as network_backend
from stratus.network.backend import runtime_dir
from stratus.virt.qemu import process
from stratus.virt.qemu.driver import default_run_dir
from tests.e2e.conftest import VENV_BIN, RunningCloud
from tests.e2e.guest_lab import REPO, ensure_lab_tools
from tests.fixtures.waiting import wait_until

SYNC_INTERVAL = 2
READY_TIMEOUT = 600.0  # a first start builds the test image


def image_cache_dir() -> str:
    """The shared build cache of the test image (built once for every test that boots it)."""
    return os.environ.get("STRATUS_TEST_IMAGE_DIR", str(REPO / "var" / "test-image"))


def qemu_env() -> dict[str, str]:
    return {
        "STRATUS_COMPUTE__TEST_IMAGE_DIR": image_cache_dir(),
        "STRATUS_COMPUTE__SYNC_POWER_STATE_INTERVAL": str(SYNC_INTERVAL),
    }


def clean_host(data_dir: Path) -> None:
    """Remove what a cloud under test left on this host: guests (after a failed test), its
    networks' namespaces and dnsmasq (the dataplane outlives the agent, by design), run dirs."""
    instances = data_dir / "instances"
    run_dir = default_run_dir(instances)
    for d in instances.iterdir() if instances.is_dir() else ():
        pid = process.live_pid(run_dir / d.name / "qemu.pid", d.name)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):  # NOTE: it may end meanwhile
                os.kill(pid, signal.SIGKILL)
    dataplane = network_backend.load("linuxbridge", runtime_dir(data_dir))
    for network_id in dataplane.host_network_ids():
        dataplane.teardown_network(network_id)
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(runtime_dir(data_dir), ignore_errors=True)


@contextlib.contextmanager
def qemu_up(base: Path) -> Iterator[RunningCloud]:
    """A ``stratus up`` with its defaults under ``base``, ready once ``cirros`` is registered.
    Stopped (it must exit 0) and its host state cleaned afterwards."""
    ensure_lab_tools()
    base.mkdir(parents=True, exist_ok=True)
    cloud = RunningCloud(
        base / "var",
        base / "stratus.log",
        [str(VENV_BIN / "stratus"), "up", "--data-dir", str(base / "var")],  # qemu: the default
        extra_env=qemu_env(),
    )
    try:
        cloud.wait_ready()
        try:  # "Stratus is ready" is printed once the test image is registered
            wait_until(lambda: "Stratus is ready" in cloud.log(), READY_TIMEOUT, "cirros", step=1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; stratus up log:\n{cloud.log()[-3000:]}") from None
        yield cloud
    finally:
        code = cloud.stop(timeout=120)
        clean_host(cloud.data_dir)
        print(f"\n[stratus up log tail]\n{cloud.log()[-3000:]}")
        assert code == 0, f"stratus up did not stop cleanly (exit {code})"
