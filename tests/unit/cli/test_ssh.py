"""``stratus ssh``: arguments, address/namespace/key choice, the command it runs, its errors.

The compute and networking APIs are a fake ``Cloud`` answering the few GETs the command sends
(the functional test drives the real APIs).
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from stratus.cli import ssh
from stratus.cli.env import Environment
from stratus.client import session
from stratus.client.compute import Address, Server
from stratus.client.network import Port
from stratus.client.session import ApiError
from stratus.cmd.main import _parser

NET = "0d5b3c4e-1111-4a4a-9b9b-000000000001"
SERVER_ID = "3d8a7f6e-0000-4000-8000-00000000000a"


def keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "md5", "-f", f"{path}.pub"], capture_output=True, text=True
    ).stdout
    return out.split()[1].removeprefix("MD5:")


class FakeCloud:
    def __init__(self, fingerprint: str, servers: list[dict[str, Any]] | None = None) -> None:
        self.server = {
            "id": SERVER_ID,
            "name": "demo",
            "status": "ACTIVE",
            "key_name": "mykey",
            "addresses": {
                "private": [
                    {"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed"},
                    {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"},
                ]
            },
        }
        self.servers = servers if servers is not None else [self.server]
        self.fingerprint = fingerprint
        fixed = [{"ip_address": "fd00::5"}, {"ip_address": "10.0.0.5"}]
        self.ports = [
            {"id": "p1", "network_id": NET, "mac_address": "fa:16:3e:00:00:0a", "fixed_ips": fixed}
        ]

    def get(self, service: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        if path == f"/servers/{SERVER_ID}":
            return {"server": self.server}
        if path.startswith("/servers/") and path != "/servers/detail":
            raise ApiError("not found", 404)
        if path == "/servers/detail":
            assert params is not None and params["name"].startswith("^")
            return {"servers": self.servers}
        if path == "/os-keypairs/mykey":
            return {"keypair": {"name": "mykey", "fingerprint": self.fingerprint, "public_key": ""}}
        if path == "/v2.0/ports":
            assert params == {"device_id": SERVER_ID}
            return {"ports": self.ports}
        raise AssertionError(f"unexpected GET {service} {path}")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    (tmp_path / "netns").mkdir()
    (tmp_path / "netns" / f"qdhcp-{NET}").write_text("")
    return tmp_path / "home"


def run(
    argv: list[str],
    home: Path,
    cloud: FakeCloud,
    monkeypatch: pytest.MonkeyPatch,
    root: bool = True,
) -> tuple[int, str, str, list[Sequence[str]]]:
    monkeypatch.setattr(
        session.Cloud, "from_environ", classmethod(lambda cls, env, transport: cloud)
    )
    execs: list[Sequence[str]] = []
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        environ={}, stdout=out, stderr=err, home=home, netns_dir=home.parent / "netns",
        is_root=root, execvp=lambda file, args: execs.append(list(args)),
    )  # fmt: skip
    args = _parser().parse_args(["ssh", *argv])
    return ssh.run(args, env), out.getvalue(), err.getvalue(), execs


def test_md5_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    expected = keygen(tmp_path / "k")
    assert ssh.md5_fingerprint((tmp_path / "k.pub").read_text()) == expected
    assert ssh.md5_fingerprint("ssh-ed25519 not-base64!") is None
    assert ssh.md5_fingerprint("") is None


def test_find_key_picks_the_private_key_of_the_matching_public_key(home: Path) -> None:
    other = keygen(home / ".ssh" / "id_other")
    wanted = keygen(home / ".ssh" / "id_ed25519")
    (home / ".ssh" / "orphan.pub").write_text((home / ".ssh" / "id_ed25519.pub").read_text())
    assert ssh.find_key(home / ".ssh", wanted) == home / ".ssh" / "id_ed25519"
    assert ssh.find_key(home / ".ssh", other.upper()) == home / ".ssh" / "id_other"
    assert ssh.find_key(home / ".ssh", "00:11") is None
    assert ssh.find_key(home / "missing", wanted) is None


def test_pick_address_prefers_the_first_fixed_ipv4() -> None:
    server = Server("s", "demo", "ACTIVE", None, (
        Address("private", "fd00::5", 6), Address("public", "203.0.113.5", 4, kind="floating"),
        Address("private", "10.0.0.5", 4), Address("other", "10.1.0.5", 4),
    ))  # fmt: skip
    ports = [Port("p1", "n1", "m1", ("fd00::5", "10.0.0.5")), Port("p2", "n2", "m2", ("10.1.0.5",))]
    assert ssh.pick_address(server, ports) == ("10.0.0.5", "n1")


def test_pick_address_falls_back_to_the_ports_and_fails_clearly() -> None:
    building = Server("s", "demo", "BUILD", None, ())
    assert ssh.pick_address(building, [Port("p", "n1", "m", ("fd00::1", "10.0.0.7"))]) == (
        "10.0.0.7",
        "n1",
    )
    with pytest.raises(ssh.SshError, match="has no fixed IPv4 address"):
        ssh.pick_address(building, [])


def test_command_line_and_dry_run(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = FakeCloud(keygen(home / ".ssh" / "id_ed25519"))
    code, out, err, execs = run(["--dry-run", "demo", "uname", "-a"], home, cloud, monkeypatch)
    assert (code, err, execs) == (0, "", [])
    key = home / ".ssh" / "id_ed25519"
    assert out.split() == [
        "ip", "netns", "exec", f"qdhcp-{NET}", "ssh",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
        "-i", str(key), "cirros@10.0.0.5", "uname", "-a",
    ]  # fmt: skip


def test_runs_ssh_in_the_namespace(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = FakeCloud("unused")
    key = home / "given-key"
    key.write_text("")
    argv = ["-i", str(key), "-l", "root", SERVER_ID, "--", "cat", "/etc/issue"]
    code, _out, _err, execs = run(argv, home, cloud, monkeypatch)
    assert len(execs) == 1
    ran = list(execs[0])
    assert ran[:4] == ["ip", "netns", "exec", f"qdhcp-{NET}"]
    assert ran[-5:] == ["-i", str(key), "root@10.0.0.5", "cat", "/etc/issue"]
    assert code == 1  # only because the fake execvp returns


def test_needs_root_to_enter_the_namespace(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = FakeCloud(keygen(home / ".ssh" / "id_ed25519"))
    code, _out, err, execs = run(["demo"], home, cloud, monkeypatch, root=False)
    assert code == 1 and execs == [] and "needs root" in err


@pytest.mark.parametrize(
    ("argv", "change", "message"),
    [
        (["nope"], lambda c, h: None, "No server with a name or ID of 'nope' exists."),
        (["demo"], lambda c, h: setattr(c, "servers", [c.server, c.server]),
         "More than one server exists with the name 'demo'"),
        (["demo"], lambda c, h: c.server.update(key_name=None), "created without a key pair"),
        (["demo"], lambda c, h: None, "no private key in"),
        (["demo"], lambda c, h: setattr(c, "ports", []), "has no fixed IPv4 address"),
        (["demo"], lambda c, h: (h.parent / "netns" / f"qdhcp-{NET}").unlink(),
         f"network namespace qdhcp-{NET} does not exist on this machine"),
        (["-i", "/no/such/key", "demo"], lambda c, h: None, "key file /no/such/key does not exist"),
    ],
)  # fmt: skip
def test_clear_errors(
    argv: list[str], change: Any, message: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud = FakeCloud("00:11:22")
    change(cloud, home)
    code, out, err, execs = run(argv, home, cloud, monkeypatch)
    assert (code, out, execs) == (1, "", [])
    assert err.startswith("stratus ssh: ") and message in err


def test_keypair_of_another_user(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = FakeCloud("00")
    original = cloud.get

    def get(service: str, path: str, params: Mapping[str, str] | None = None) -> Any:
        if path.startswith("/os-keypairs/"):
            raise ApiError("Keypair mykey not found for user u2", 404)
        return original(service, path, params)

    cloud.get = get  # type: ignore[method-assign]
    code, _out, err, _execs = run(["demo"], home, cloud, monkeypatch)
    assert code == 1 and "is not yours to read" in err


def test_missing_credentials_are_named() -> None:
    with pytest.raises(session.MissingCredentials, match="OS_AUTH_URL, OS_USERNAME"):
        session.credentials({"OS_PASSWORD": "x", "OS_PROJECT_NAME": "demo"})
    creds = session.credentials(
        {"OS_AUTH_URL": "http://h:5000/v3/", "OS_USERNAME": "demo", "OS_PASSWORD": "pw",
         "OS_PROJECT_NAME": "demo", "OS_REGION_NAME": "RegionOne"}
    )  # fmt: skip
    assert creds.auth_url == "http://h:5000/v3" and creds.user_domain_name == "Default"


def test_the_stratus_command_dispatches_to_ssh(monkeypatch: pytest.MonkeyPatch) -> None:
    from stratus.cmd import main

    seen: list[Any] = []
    monkeypatch.setattr(ssh, "run", lambda args: seen.append(args) or 7)
    assert main.main(["ssh", "-l", "root", "demo", "uname", "-a"]) == 7
    (args,) = seen
    assert (args.command, args.server, args.login) == ("ssh", "demo", "root")
    assert args.remote_command == ["uname", "-a"]
