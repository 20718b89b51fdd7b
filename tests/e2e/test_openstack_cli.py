"""The installation guide's identity and image commands, run with the real openstack CLI."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningCloud, openstack

pytestmark = pytest.mark.e2e


def test_openrc_files_are_private_and_complete(running_cloud: RunningCloud) -> None:
    for user in ("admin", "demo"):
        path = running_cloud.data_dir / f"{user}-openrc"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        env = running_cloud.credentials(user)
        for key in (
            "OS_AUTH_URL",
            "OS_USERNAME",
            "OS_PASSWORD",
            "OS_PROJECT_NAME",
            "OS_USER_DOMAIN_NAME",
            "OS_PROJECT_DOMAIN_NAME",
            "OS_IDENTITY_API_VERSION",
            "OS_REGION_NAME",
        ):
            assert env[key], key
        assert env["OS_IDENTITY_API_VERSION"] == "3"
        assert len(env["OS_PASSWORD"]) >= 16


def test_identity_commands(running_cloud: RunningCloud) -> None:
    env = running_cloud.credentials("admin")
    token = openstack(env, "token", "issue")
    assert token["id"] and token["project_id"]
    catalog = openstack(env, "catalog", "list")
    assert {"identity", "image"} <= {entry["Type"] for entry in catalog}
    project = openstack(env, "project", "create", "p1")
    assert project["name"] == "p1"
    user = openstack(env, "user", "create", "--password", "x-secret-1", "u1", "--project", "p1")
    assert user["name"] == "u1" and user["default_project_id"] == project["id"]
    openstack(env, "role", "add", "--project", "p1", "--user", "u1", "member", fmt=False)
    assignments = openstack(env, "role", "assignment", "list", "--user", "u1", "--names")
    assert any(a["Role"] == "member" and a["Project"].startswith("p1") for a in assignments), (
        assignments
    )
    services = openstack(env, "service", "list")
    assert {"identity", "image"} <= {s["Type"] for s in services}
    endpoints = openstack(env, "endpoint", "list")
    assert {"public", "internal", "admin"} <= {e["Interface"] for e in endpoints}
    # the new user can log in to the new project
    u1 = dict(env, OS_USERNAME="u1", OS_PASSWORD="x-secret-1", OS_PROJECT_NAME="p1")
    assert openstack(u1, "token", "issue")["project_id"] == project["id"]
    # ... and is not an admin
    denied = openstack(u1, "user", "create", "--password", "y", "u2", check=False, fmt=False)
    assert denied.returncode != 0 and "403" in denied.stderr


def test_image_commands(running_cloud: RunningCloud, tmp_path: Path) -> None:
    env = running_cloud.credentials("admin")
    src = tmp_path / "cirros.qcow2"
    import subprocess

    subprocess.run(
        ["qemu-img", "create", "-f", "qcow2", str(src), "64M"], check=True, capture_output=True
    )
    with open(src, "ab") as fh:  # a little non-zero content past the header
        fh.write(os.urandom(1024))
    image = openstack(
        env,
        "image",
        "create",
        "cirros",
        "--file",
        str(src),
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        "--public",
    )
    assert image["status"] == "active"
    listed = openstack(env, "image", "list")
    assert any(i["Name"] == "cirros" for i in listed)
    out = tmp_path / "out"
    openstack(env, "image", "save", "--file", str(out), "cirros", fmt=False)
    assert (
        hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(src.read_bytes()).hexdigest()
    )
    openstack(env, "image", "set", "--property", "k=v", "cirros", fmt=False)
    shown = openstack(env, "image", "show", "cirros")
    assert shown["properties"]["k"] == "v"
    openstack(env, "image", "delete", "cirros", fmt=False)
    assert not any(i["Name"] == "cirros" for i in openstack(env, "image", "list"))
