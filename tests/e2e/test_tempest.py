"""OpenStack's own Tempest API tests against a real `stratus up` (the shared harness).

The harness lives outside this repository (``../shared/tempest`` next to the checkout,
``$STRATUS_SHARED_DIR/tempest`` or ``$STRATUS_TEMPEST_DIR``). It creates its own virtualenv with
tempest on first use. Results and logs land in ``artifacts/tempest/``; docs/tempest.md records
the counts.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningCloud, fake_cloud, openstack
from tests.e2e.guest_lab import needs_qemu
from tests.e2e.qemu_cloud import qemu_up
from tests.fixtures.waiting import scaled

pytestmark = [pytest.mark.e2e, pytest.mark.tempest]

HERE = Path(__file__).parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "artifacts" / "tempest"
# Tiers of the core list that need services Stratus does not offer yet (volumes: a later issue).
NOT_YET = ("T5-volumes",)
# Time limits, outermost last, in reference seconds (scaled on slower machines). A Tempest run
# gets RUN_LIMIT (run.sh -t: it then kills tempest and still prints its summary); the harness
# gets HARNESS_SLACK more to summarise; pytest-timeout's limit for the whole test adds the
# cloud's start (stratus up, the test image) and its stop. Seen on the 2-core machine: the core
# list took 7 min quiet and 12 min on a slower machine; identity + image takes about 2 min.
CORE_RUN_LIMIT = 2400  # 2x the slowest core-list run seen, and then some
IDENTITY_IMAGE_RUN_LIMIT = 900
HARNESS_SLACK = 180
CLOUD_START_STOP = 600


def harness() -> Path:
    """``$STRATUS_TEMPEST_DIR``, ``$STRATUS_SHARED_DIR/tempest`` (``.ci/run`` sets it: its clone
    has no ``../shared``) or ``../shared/tempest`` next to this checkout."""
    shared = os.environ.get("STRATUS_SHARED_DIR", "")
    candidates = [
        os.environ.get("STRATUS_TEMPEST_DIR", ""),
        str(Path(shared) / "tempest") if shared else "",
        str(REPO.parent / "shared" / "tempest"),
    ]
    for c in candidates:
        if c and (Path(c) / "run.sh").is_file():
            return Path(c)
    pytest.fail(f"Tempest harness not found (looked in {candidates}); set STRATUS_TEMPEST_DIR")


def run_tempest(
    env: dict[str, str], name: str, args: list[str], workspace: Path, limit: float
) -> tuple[int, int, int]:
    """Run the harness with ``limit`` seconds (scaled) for Tempest itself."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    run_limit = int(scaled(limit))
    cmd = [str(harness() / "run.sh"), *args, "-j", "2", "-t", str(run_limit), "-w", str(workspace)]
    started = time.monotonic()
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=run_limit + scaled(HARNESS_SLACK)
    )
    took = time.monotonic() - started
    (ARTIFACTS / f"{name}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    summary = re.findall(r"tempest: (\d+) passed, (\d+) failed, (\d+) skipped", proc.stdout)
    assert summary, f"no tempest summary line:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    passed, failed, skipped = map(int, summary[-1])
    print(f"\ntempest {name}: {passed} passed, {failed} failed, {skipped} skipped in {took:.0f} s")
    assert proc.returncode != 124, f"tempest ran out of its {run_limit} s:\n{proc.stdout[-8000:]}"
    assert failed == 0, proc.stdout[-8000:]
    return passed, failed, skipped


@pytest.mark.timeout(IDENTITY_IMAGE_RUN_LIMIT + HARNESS_SLACK + CLOUD_START_STOP)
def test_tempest_identity_and_image(cloud: RunningCloud, tmp_path: Path) -> None:
    env = cloud.credentials("admin")
    env.update(
        TEMPEST_SERVICES="glance",
        TEMPEST_IMAGE_REF="",
        TEMPEST_BUILD_TIMEOUT=str(int(scaled(60))),
        # NOTE: Tempest uploads random bytes; Stratus rejects random bytes declared as a
        # container format (qcow2, vmdk, vhd ...) by design, so only raw-like formats are listed.
        TEMPEST_EXTRA=(
            "image.disk_formats=ami,ari,aki,raw,iso;"
            "identity-feature-enabled.api_extensions=OS-INHERIT,OS-EC2"
        ),
    )
    args = ["-i", str(HERE / "tempest-include.txt"), "-X", str(HERE / "tempest-exclude.txt")]
    passed, _, _ = run_tempest(
        env, "identity-image", args, tmp_path / "ws", IDENTITY_IMAGE_RUN_LIMIT
    )
    assert passed >= 85, f"only {passed} tempest tests passed"


# NOTE: one cloud per test (not per module), so each test's time limit covers its own cloud's
# start and stop, and no idle cloud runs beside the next test.
@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[RunningCloud]:
    with fake_cloud(tmp_path / "fake") as running:
        yield running


@pytest.fixture
def qemu_cloud(tmp_path: Path) -> Iterator[RunningCloud]:
    with qemu_up(tmp_path / "qemu") as running:
        yield running


@needs_qemu
@pytest.mark.timeout(CORE_RUN_LIMIT + HARNESS_SLACK + CLOUD_START_STOP)
def test_tempest_core_list(qemu_cloud: RunningCloud, tmp_path: Path) -> None:
    """The core list (compute, network, identity, image tiers) against real VMs: ``stratus up``
    with the qemu driver (TCG here) booting the test image ``cirros`` and a copy of it."""
    env = qemu_cloud.credentials("admin")
    cirros = openstack(env, "image", "show", "cirros")
    image_file = tmp_path / "cirros.qcow2"
    openstack(env, "image", "save", "--file", str(image_file), "cirros", fmt=False)
    alt = openstack(
        env, "image", "create", "cirros-alt", "--file", str(image_file), "--disk-format",
        "qcow2", "--container-format", "bare", "--public", "--min-ram", "128",
    )  # fmt: skip
    tiers = (harness() / "core-tests.tiers.tsv").read_text().splitlines()
    wanted = [line.split("\t")[1] for line in tiers if line and line.split("\t")[0] not in NOT_YET]
    load_list = tmp_path / "core.txt"
    load_list.write_text("\n".join(wanted) + "\n")
    env.update(
        TEMPEST_IMAGE_REF=cirros["id"],
        TEMPEST_IMAGE_REF_ALT=alt["id"],
        TEMPEST_FLAVOR_REF="1",
        TEMPEST_FLAVOR_REF_ALT="2",
        TEMPEST_FIXED_NETWORK="private",
        TEMPEST_SERVICES="nova,glance,neutron",
        TEMPEST_COMPUTE_FEATURES_ON="resize,pause,suspend,snapshot,vnc_console",
        TEMPEST_COMPUTE_FEATURES_OFF="shelve,shelve_migrate,rescue",
        TEMPEST_BUILD_TIMEOUT=str(int(scaled(300))),
    )
    passed, _, skipped = run_tempest(
        env, "core-list", ["-l", str(load_list)], tmp_path / "ws", CORE_RUN_LIMIT
    )
    assert passed >= len(wanted) - 15, f"{passed} passed, {skipped} skipped of {len(wanted)}"
