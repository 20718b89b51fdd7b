"""A port of ``stratus up`` already taken: one line naming the port and its setting, exit code 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from stratus.cmd import listen
from tests.fixtures.cloud import Cloud
from tests.fixtures.waiting import scaled

CLI = [sys.executable, "-m", "stratus.cmd.main"]
PORTS = {
    "STRATUS_IDENTITY__PORT": "identity",
    "STRATUS_IMAGE__PORT": "image",
    "STRATUS_COMPUTE__API_PORT": "compute",
    "STRATUS_NETWORK__API_PORT": "network",
    "STRATUS_VNC__NOVNCPROXY_PORT": "novncproxy",
}


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_stratus_up_names_the_port_in_use_and_its_setting(tmp_path: Path) -> None:
    # NOTE: every port is one this test holds, so nothing else on the machine is disturbed;
    # the compute API's is the one stratus up finds taken (the others are released first).
    held = {name: _listening() for name in PORTS}
    env = dict(os.environ, STRATUS_API__BIND_HOST="127.0.0.1", STRATUS_MY_IP="127.0.0.1")
    for name, sock in held.items():
        env[name] = str(sock.getsockname()[1])
    taken = held.pop("STRATUS_COMPUTE__API_PORT")
    for sock in held.values():
        sock.close()
    try:
        proc = subprocess.run(
            [*CLI, "--data-dir", str(tmp_path / "var"), "up", "--virt", "fake"],
            env=env,
            capture_output=True,
            text=True,
            timeout=scaled(120),
        )
    finally:
        taken.close()
    port = env["STRATUS_COMPUTE__API_PORT"]
    expected = (
        f"stratus up: port {port} (compute API) is in use; "
        "set [compute] api_port or STRATUS_COMPUTE__API_PORT"
    )
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr.splitlines(), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", sorted(listen.PORT_SETTINGS))
def test_every_api_port_names_a_real_setting(name: str) -> None:
    setting = listen.PORT_SETTINGS[name]
    assert f"STRATUS_{setting.section.upper()}__{setting.key.upper()}" in PORTS
    with _listening() as sock:
        port = sock.getsockname()[1]
        with pytest.raises(listen.ListenError, match=f"port {port} .* is in use; set "):
            listen.bind(name, "127.0.0.1", port)


def test_every_api_of_stratus_up_has_a_port_setting(cloud: Cloud) -> None:
    assert {*cloud.apps, "novncproxy"} == set(listen.PORT_SETTINGS)
