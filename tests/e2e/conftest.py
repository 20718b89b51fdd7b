"""A real ``stratus up`` process on free loopback ports, and the real ``openstack`` CLI."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.services.identity.bootstrap import read_openrc
from tests.fixtures.waiting import scaled, wait_until

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningCloud:
    """A ``stratus up`` child process; ``env`` holds the admin credentials (OS_*)."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        command: list[str] | None = None,
        cwd: Path | None = None,
        ports: dict[str, int] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.ports = ports or {
            name: free_port() for name in ("identity", "image", "compute", "network")
        }
        # NOTE: the console proxy too, so clouds side by side (and a busy 6080) do not collide
        self.ports.setdefault("novncproxy", free_port())
        self.env = dict(os.environ)
        self.env.update(
            STRATUS_MY_IP="127.0.0.1",
            STRATUS_API__BIND_HOST="127.0.0.1",
            STRATUS_IDENTITY__PORT=str(self.ports["identity"]),
            STRATUS_IMAGE__PORT=str(self.ports["image"]),
            STRATUS_COMPUTE__API_PORT=str(self.ports["compute"]),
            STRATUS_NETWORK__API_PORT=str(self.ports["network"]),
            STRATUS_VNC__NOVNCPROXY_PORT=str(self.ports["novncproxy"]),
            PYTHONUNBUFFERED="1",
        )
        self.env.update(extra_env or {})
        # NOTE: the control-plane tests run the fake driver; test_real_vms.py asks for qemu
        cmd = command or [
            str(VENV_BIN / "stratus"), "up", "--data-dir", str(data_dir), "--virt", "fake",
        ]  # fmt: skip
        self._log = open(log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )
        self.started = time.monotonic()

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['identity']}/v3"

    def wait_ready(self, timeout: float = 300) -> float:
        """Wait until the identity API answers; returns the seconds since the start."""

        def answering() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"stratus up exited with {self.proc.returncode}:\n{self.log()}"
                )
            return httpx.get(self.auth_url, timeout=scaled(5)).status_code == 200

        try:
            wait_until(answering, timeout, "stratus up", step=0.2, retry_on=(httpx.HTTPError,))
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{self.log()}") from None
        return time.monotonic() - self.started

    def credentials(self, user: str = "admin") -> dict[str, str]:
        env = dict(self.env)
        env.update(read_openrc(self.data_dir / f"{user}-openrc"))
        return env

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self, timeout: float = 120) -> int:
        """Ctrl-C, as a user would; returns the exit code (SIGKILL after ``timeout``, scaled)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(scaled(timeout))
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def openstack(env: dict[str, str], *args: str, check: bool = True, fmt: bool = True) -> Any:
    """Run the real ``openstack`` CLI; JSON output is parsed."""
    cmd = [str(VENV_BIN / "openstack"), *args]
    if fmt:
        cmd += ["-f", "json"]
    # NOTE: --wait commands (several servers booting under TCG) take minutes on a loaded machine
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=scaled(600))
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    if not check:
        return proc
    out = proc.stdout.strip()
    return json.loads(out) if fmt and out else out


@contextlib.contextmanager
def fake_cloud(base: Path) -> Iterator[RunningCloud]:
    """``stratus up --virt fake`` under ``base``; stopped (it must exit 0) afterwards."""
    base.mkdir(parents=True, exist_ok=True)
    cloud = RunningCloud(base / "var", base / "stratus.log")
    try:
        cloud.wait_ready()
        yield cloud
    finally:
        code = cloud.stop()
        print(f"\n[stratus up log tail]\n{cloud.log()[-2000:]}")
        assert code == 0, f"stratus up did not stop cleanly (exit {code})"


@pytest.fixture(scope="module")
def running_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with fake_cloud(tmp_path_factory.mktemp("cloud")) as cloud:
        yield cloud
