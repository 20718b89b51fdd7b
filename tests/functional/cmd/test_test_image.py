"""The test guest image for ``stratus up`` / ``stratus manage image build-test``: the build script
is run and its output logged; registration as the public qcow2 image ``cirros`` is idempotent and
a new build replaces the old image, so ``cirros`` always names exactly one image."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from stratus.client.auth import PasswordSession
from stratus.cmd import test_image
from tests.fixtures.cloud import Cloud

FAKE_SCRIPT = """#!/bin/sh
set -e
echo "fake-build: building in $1"
mkdir -p "$1"
qemu-img create -q -f qcow2 "$1/cirros.qcow2" 16M
echo "${BUILD_KEY:-k1}" > "$1/.build-key"
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "build-test-image.sh"
    path.write_text(FAKE_SCRIPT)
    path.chmod(0o755)
    return path


def _session(cloud: Cloud) -> PasswordSession:
    # NOTE: a public image is the admin's to make (the service user may only read images)
    creds = test_image.admin_credentials(cloud.cfg)
    return PasswordSession(creds, transport=cloud.http_transport)


def _cirros(cloud: Cloud, headers: dict[str, str]) -> list[dict[str, object]]:
    r = cloud.image.get("/v2/images?name=cirros", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["images"])


def test_registration_is_idempotent_and_a_new_build_replaces_the_image(
    cloud: Cloud, script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = test_image.build(tmp_path / "img", script)
    first = test_image.register(_session(cloud), out)
    assert first.created
    [image] = _cirros(cloud, cloud.demo_headers())  # public: every project sees it
    assert image["id"] == first.image_id
    assert (image["status"], image["visibility"]) == ("active", "public")
    assert (image["disk_format"], image["container_format"]) == ("qcow2", "bare")
    assert image["stratus_test_image"] == "k1"
    assert image["min_ram"] == 128  # what the Debian kernel needs to boot

    again = test_image.register(_session(cloud), out)
    assert (again.image_id, again.created) == (first.image_id, False)

    monkeypatch.setenv("BUILD_KEY", "k2")
    test_image.build(out, script)
    newer = test_image.register(_session(cloud), out)
    assert newer.created and newer.image_id != first.image_id
    [image] = _cirros(cloud, cloud.admin_headers())
    assert (image["id"], image["stratus_test_image"]) == (newer.image_id, "k2")


def test_build_logs_the_script_and_reports_its_failure(
    script: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="stratus.cmd.test_image"):
        test_image.build(tmp_path / "img", script)
    assert f"fake-build: building in {tmp_path / 'img'}" in caplog.text
    script.write_text("#!/bin/sh\necho 'no kernel package found' >&2\nexit 3\n")
    with pytest.raises(test_image.TestImageError, match=r"exit 3\): no kernel package found"):
        test_image.build(tmp_path / "img2", script)
    with pytest.raises(test_image.TestImageError, match="is missing"):
        test_image.build(tmp_path / "img3", tmp_path / "nope.sh")


def test_ensure_builds_into_the_configured_directory_and_registers(
    cloud: Cloud, script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud.cfg.compute.test_image_dir = str(tmp_path / "cache")
    monkeypatch.setattr(test_image, "SCRIPT", script)
    registered = test_image.ensure(cloud.cfg, transport=cloud.http_transport)
    assert (tmp_path / "cache" / "cirros.qcow2").is_file()
    assert [i["id"] for i in _cirros(cloud, cloud.admin_headers())] == [registered.image_id]
    info = subprocess.run(
        ["qemu-img", "info", "-f", "qcow2", str(tmp_path / "cache" / "cirros.qcow2")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "virtual size: 16 MiB" in info.stdout
