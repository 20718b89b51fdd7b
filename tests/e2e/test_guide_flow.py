"""The installation guide's launch flow, typed as a user would, with the real openstack CLI
against ``stratus up --virt fake``: services, flavor, keypair, security group rule, image,
network, server create → ACTIVE with a fixed IP, resize → VERIFY_RESIZE → confirm, stop/start,
reboot, snapshot, delete."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.conftest import RunningCloud, openstack
from tests.fixtures.waiting import wait_until

pytestmark = pytest.mark.e2e


def _public_key(tmp_path: Path) -> tuple[Path, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path = tmp_path / "id_rsa.pub"
    path.write_bytes(public + b" user@host\n")
    digest = hashlib.md5(base64.b64decode(public.split()[1])).hexdigest()
    return path, ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def _server(env: dict[str, str], name: str) -> dict[str, object]:
    return dict(openstack(env, "server", "show", name))


def test_guide_launch_flow(running_cloud: RunningCloud, tmp_path: Path) -> None:
    admin = running_cloud.credentials("admin")
    services = openstack(admin, "compute", "service", "list")
    assert {s["Binary"] for s in services} == {
        "stratus-conductor",
        "stratus-scheduler",
        "stratus-compute",
    }
    assert all(s["State"] == "up" and s["Status"] == "enabled" for s in services), services
    flavor = openstack(
        admin,
        "flavor",
        "create",
        "--id",
        "0",
        "--vcpus",
        "1",
        "--ram",
        "64",
        "--disk",
        "1",
        "m1.nano",
    )
    assert flavor["name"] == "m1.nano" and flavor["ram"] == 64

    demo = running_cloud.credentials("demo")
    pub, fingerprint = _public_key(tmp_path)
    openstack(demo, "keypair", "create", "--public-key", str(pub), "mykey")
    keys = openstack(demo, "keypair", "list")
    assert [(k["Name"], k["Fingerprint"]) for k in keys] == [("mykey", fingerprint)]
    openstack(
        demo, "security", "group", "rule", "create", "--proto", "tcp", "--dst-port", "22", "default"
    )
    image_file = tmp_path / "cirros.raw"
    image_file.write_bytes(os.urandom(64 * 1024))
    openstack(
        admin, "image", "create", "cirros", "--file", str(image_file),
        "--disk-format", "raw", "--container-format", "bare", "--public",
    )  # fmt: skip
    networks = openstack(demo, "network", "list")
    private = next(n for n in networks if n["Name"] == "private")

    created = openstack(
        demo, "server", "create", "--flavor", "m1.nano", "--image", "cirros",
        "--nic", f"net-id={private['ID']}", "--security-group", "default",
        "--key-name", "mykey", "--wait", "selfservice-instance",
    )  # fmt: skip
    assert created["status"] == "ACTIVE"
    listed = openstack(demo, "server", "list")
    assert len(listed) == 1 and listed[0]["Status"] == "ACTIVE"
    addresses = str(listed[0]["Networks"])  # OSC prints a dict or "private=10.0.0.x"
    assert "private" in addresses and "10.0.0." in addresses, addresses

    openstack(
        demo, "server", "resize", "--flavor", "m1.tiny", "--wait", "selfservice-instance", fmt=False
    )
    assert _server(demo, "selfservice-instance")["status"] == "VERIFY_RESIZE"
    openstack(demo, "server", "resize", "confirm", "selfservice-instance", fmt=False)
    _wait_status(demo, "selfservice-instance", "ACTIVE")
    assert "m1.tiny" in str(_server(demo, "selfservice-instance")["flavor"])

    openstack(demo, "server", "stop", "selfservice-instance", fmt=False)
    _wait_status(demo, "selfservice-instance", "SHUTOFF")
    openstack(demo, "server", "start", "selfservice-instance", fmt=False)
    _wait_status(demo, "selfservice-instance", "ACTIVE")
    openstack(demo, "server", "reboot", "--wait", "selfservice-instance", fmt=False)
    assert _server(demo, "selfservice-instance")["status"] == "ACTIVE"

    snap = openstack(
        demo, "server", "image", "create", "--name", "snap", "--wait", "selfservice-instance"
    )
    assert snap["status"] == "active"
    openstack(demo, "server", "delete", "--wait", "selfservice-instance", fmt=False)
    assert openstack(demo, "server", "list") == []
    ports = openstack(admin, "port", "list", "--device-owner", "compute:nova")
    assert ports == [], "deleting the server frees its port"


def _wait_status(env: dict[str, str], name: str, status: str, timeout: float = 180) -> None:
    """Poll ``server show`` (a whole CLI run, seconds on a loaded machine) until ``status``."""
    seen: list[object] = []

    def reached() -> bool:
        seen[:] = [_server(env, name)["status"]]
        return seen[0] == status

    try:
        wait_until(reached, timeout, f"{name} {status}", step=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {name} stuck in {seen[0] if seen else '?'}") from None
