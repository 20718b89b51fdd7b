"""The ``stratus novncproxy`` process: serves noVNC's page, refuses tokenless websockets, stops
cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fixtures.waiting import scaled, wait_until

CLI = [sys.executable, "-m", "stratus.cmd.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_novncproxy_process(tmp_path: Path) -> None:
    if not Path("/usr/share/novnc/vnc_lite.html").is_file():
        pytest.fail("noVNC is missing: apt-get install novnc (tools/install-deps.sh)")
    port = free_port()
    env = dict(
        os.environ,
        STRATUS_API__BIND_HOST="127.0.0.1",
        STRATUS_VNC__NOVNCPROXY_PORT=str(port),
        STRATUS_COMPUTE__VIRT_DRIVER="fake",
        STRATUS_TRANSPORT_URL="memory://",
    )
    log = tmp_path / "proxy.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*CLI, "--data-dir", str(tmp_path), "novncproxy", "--host", "h1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def page_served() -> httpx.Response:
            assert proc.poll() is None, log.read_text()
            return httpx.get(f"{base}/vnc_auto.html?path=%3Ftoken%3Dx", timeout=scaled(10))

        page = wait_until(page_served, 60, "the console proxy", retry_on=(httpx.HTTPError,))
        assert page.status_code == 200
        assert "core/rfb.js" in page.text  # noVNC's lite page, which connects at once
        assert page.headers["referrer-policy"] == "no-referrer"
        assert httpx.get(f"{base}/core/rfb.js").status_code == 200
        with pytest.raises(InvalidStatus) as refused, connect(f"ws://127.0.0.1:{port}/"):
            pass
        assert refused.value.response.status_code == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(scaled(60))
    assert code == 0, log.read_text()
    assert "console connection from 127.0.0.1" in log.read_text()  # the refusal is logged
