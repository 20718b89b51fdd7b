"""The conductor's ``metadata_for_address`` and ``stratus ssh`` against the real control plane.

Servers boot through API → conductor → scheduler → compute agent (fake driver); the metadata
lookup goes over the bus exactly as a compute host's metadata server sends it, and
``stratus ssh --dry-run`` logs in with ``OS_*`` credentials and reads the real compute and
networking APIs (over an in-process transport).
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.cli import ssh
from stratus.cli.env import Environment
from stratus.cmd.main import _parser
from stratus.network.metadata import content
from stratus.rpcapi.conductor import ConductorAPI
from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import boot, wait_for_status


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane(hosts=("h1",))
    yield cloud


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "home" / ".ssh" / "id_ed25519"
    path.parent.mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def _keypair(cloud: Cloud, account: Account, key: Path) -> None:
    body = {"keypair": {"name": "mykey", "public_key": key.with_suffix(".pub").read_text()}}
    r = cloud.compute.post("/v2.1/os-keypairs", json=body, headers=account.headers)
    assert r.status_code == 200, r.text


def _port(cloud: Cloud, server_id: str) -> dict[str, Any]:
    r = cloud.network.get(f"/v2.0/ports?device_id={server_id}", headers=cloud.admin_headers())
    (port,) = r.json()["ports"]
    return dict(port)


def _active(cloud: Cloud, account: Account, image_id: str, **extra: Any) -> dict[str, Any]:
    created = boot(cloud, account.headers, image_id, **extra)
    return wait_for_status(cloud, account.headers, created["id"], "ACTIVE")


def test_metadata_for_address_finds_each_instance_by_its_own_address(
    plane: Cloud, member: Account, image_id: str, key: Path
) -> None:
    _keypair(plane, member, key)
    a = _active(plane, member, image_id, name="a", key_name="mykey", user_data="aGVsbG8=",
                metadata={"role": "web"})  # fmt: skip
    b = _active(plane, member, image_id, name="b")
    port_a, port_b = _port(plane, a["id"]), _port(plane, b["id"])
    conductor = ConductorAPI(plane.bus, timeout=10)
    ip_a = port_a["fixed_ips"][0]["ip_address"]
    md = conductor.metadata_for_address(port_a["network_id"], ip_a)
    assert md is not None
    assert md.instance.uuid == a["id"] and md.instance.display_name == "a"
    assert md.instance.key_name == "mykey" and md.key_type == "ssh"
    assert md.instance.key_data == key.with_suffix(".pub").read_text()
    assert md.instance.metadata == {"role": "web"}
    assert md.reservation_id.startswith("r-") and md.launch_index == 0
    assert [v.mac_address for v in md.vifs] == [port_a["mac_address"]]
    assert content.user_data(md) == b"hello"
    md_b = conductor.metadata_for_address(
        port_b["network_id"], port_b["fixed_ips"][0]["ip_address"]
    )
    assert md_b is not None and md_b.instance.uuid == b["id"] and md_b.instance.key_name is None
    assert conductor.metadata_for_address(port_a["network_id"], "10.0.0.250") is None
    assert conductor.metadata_for_address("00000000-0000-0000-0000-000000000000", ip_a) is None


def test_metadata_for_address_forgets_deleted_instances(
    plane: Cloud, member: Account, image_id: str
) -> None:
    server = _active(plane, member, image_id, name="gone")
    port = _port(plane, server["id"])
    conductor = ConductorAPI(plane.bus, timeout=10)
    address = port["fixed_ips"][0]["ip_address"]
    assert conductor.metadata_for_address(port["network_id"], address) is not None
    r = plane.compute.delete(f"/v2.1/servers/{server['id']}", headers=member.headers)
    assert r.status_code == 204
    wait_for_status(plane, member.headers, server["id"], "DELETED")
    assert conductor.metadata_for_address(port["network_id"], address) is None


def test_metadata_for_address_ignores_ports_no_server_uses(plane: Cloud, member: Account) -> None:
    private = plane.network.get("/v2.0/networks?name=private", headers=member.headers)
    net_id = private.json()["networks"][0]["id"]
    r = plane.network.post(
        "/v2.0/ports", json={"port": {"network_id": net_id}}, headers=member.headers
    )
    assert r.status_code == 201, r.text
    address = r.json()["port"]["fixed_ips"][0]["ip_address"]
    assert ConductorAPI(plane.bus, timeout=10).metadata_for_address(net_id, address) is None


def test_stratus_ssh_dry_run_through_the_apis(
    plane: Cloud, member: Account, image_id: str, key: Path, tmp_path: Path
) -> None:
    _keypair(plane, member, key)
    server = _active(plane, member, image_id, name="demo", key_name="mykey")
    port = _port(plane, server["id"])
    netns_dir = tmp_path / "netns"
    netns_dir.mkdir()
    (netns_dir / f"qdhcp-{port['network_id']}").write_text("")
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        environ={
            "OS_AUTH_URL": plane.cfg.endpoint_url(plane.cfg.identity.port, "/v3"),
            "OS_USERNAME": member.user_name,
            "OS_PASSWORD": member.password,
            "OS_PROJECT_NAME": member.project_name,
        },
        stdout=out, stderr=err, home=tmp_path / "home", netns_dir=netns_dir, is_root=True,
        execvp=lambda file, argv: None, transport=plane.http_transport,
    )  # fmt: skip
    args = _parser().parse_args(["ssh", "--dry-run", "demo", "uname", "-a"])
    assert ssh.run(args, env) == 0, err.getvalue()
    address = port["fixed_ips"][0]["ip_address"]
    argv = out.getvalue().split()
    assert argv[:4] == ["ip", "netns", "exec", f"qdhcp-{port['network_id']}"]
    assert argv[-5:] == ["-i", str(key), f"cirros@{address}", "uname", "-a"]
    args = _parser().parse_args(["ssh", "--dry-run", "nope"])
    assert ssh.run(args, env) == 1
    assert "No server with a name or ID of 'nope' exists." in err.getvalue()
