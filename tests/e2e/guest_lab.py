"""A private network for real test guests: a namespace with a bridge, DHCP and metadata.

``GuestLab`` creates a network namespace ``stratus-test-<random>`` holding a bridge ``br0``
(192.0.2.1/24, TEST-NET-1, and 169.254.169.254/32), a dnsmasq serving DHCP with one static host
entry per guest MAC (option 121 routes the metadata address and the default route via br0), and a
tiny HTTP responder on 169.254.169.254:80 serving ``/openstack/latest/meta_data.json``. Guests'
tap devices live on br0; QEMU runs inside the namespace. Nothing is routed out of the namespace,
so no packet ever leaves this machine. ``close()`` ends every process it started (by pid) and
deletes the namespace, which removes the bridge and every tap in it.

Also here: ``build_test_image()`` builds (or reuses) the test guest image with
tools/build-test-image.sh (which installs QEMU too), ``ensure_lab_tools()`` installs dnsmasq,
ssh and ip when missing, and ``needs_qemu`` skips unless running as root.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.waiting import scaled, wait_until

REPO = Path(__file__).resolve().parents[2]
SUBNET = "192.0.2"
GATEWAY = f"{SUBNET}.1"
METADATA_IP = "169.254.169.254"

LAB_PACKAGES = {"dnsmasq": "dnsmasq-base", "ssh": "openssh-client", "ip": "iproute2"}

# NOTE: namespaces, taps and QEMU need root; everything else is installed on demand.
needs_qemu = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, taps, QEMU)")


def build_test_image() -> Path:
    """The directory holding vmlinuz, initrd.img and cirros.qcow2 (built once, then cached).

    The build script also installs QEMU (qemu-system-x86) when it is missing.
    """
    out = Path(os.environ.get("STRATUS_TEST_IMAGE_DIR", REPO / "var" / "test-image"))
    subprocess.run([str(REPO / "tools" / "build-test-image.sh"), str(out)], check=True)
    return out


def ensure_lab_tools() -> None:
    """apt-get install the Debian packages the lab uses (dnsmasq, ssh, ip) if missing."""
    missing = [pkg for tool, pkg in LAB_PACKAGES.items() if shutil.which(tool) is None]
    if missing:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
            subprocess.run(cmd, env=env, capture_output=True, check=True)


def run(*cmd: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return proc.stdout


class GuestLab:
    """One namespace, one bridge, DHCP + metadata for the guests you ``add_host`` to it."""

    def __init__(self, workdir: Path, serve_metadata: bool = True) -> None:
        self.workdir = workdir
        self.serve_metadata = serve_metadata
        self.netns = f"stratus-test-{secrets.token_hex(4)}"
        self.bridge = "br0"
        self._hosts: dict[str, str] = {}
        self._procs: list[subprocess.Popen[bytes]] = []
        self._dnsmasq: subprocess.Popen[bytes] | None = None
        self.metadata_dir = workdir / "metadata"
        self.key_path = workdir / "id_ed25519"
        ensure_lab_tools()
        run("ip", "netns", "add", self.netns)
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def _setup(self) -> None:
        ns = ("ip", "-n", self.netns)
        run(*ns, "link", "set", "lo", "up")
        run(*ns, "link", "add", self.bridge, "type", "bridge")
        run(*ns, "addr", "add", f"{GATEWAY}/24", "dev", self.bridge)
        run(*ns, "addr", "add", f"{METADATA_IP}/32", "dev", self.bridge)
        run(*ns, "link", "set", self.bridge, "up")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key_path))
        self.public_key = self.key_path.with_suffix(".pub").read_text().strip()
        self.set_metadata({"uuid": "lab", "hostname": "guest", "keys": {}})
        if self.serve_metadata:  # NOTE: without it, guests have only their config drive
            self._start_metadata_server()

    # ------------------------------------------------------------------ guests

    def set_metadata(self, meta: dict[str, object]) -> None:
        """Serve ``meta`` (plus this lab's public key) as meta_data.json."""
        body = dict(meta)
        body["public_keys"] = {"lab": self.public_key + "\n"}
        path = self.metadata_dir / "openstack" / "latest" / "meta_data.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body))

    def add_host(self, mac: str, index: int) -> str:
        """Give ``mac`` the fixed address 192.0.2.<index> by DHCP; returns the address."""
        ip = f"{SUBNET}.{index}"
        self._hosts[mac] = ip
        self._restart_dnsmasq()
        return ip

    def add_tap(self, name: str) -> None:
        """Create a tap device on the bridge (what a bridge network backend does per port)."""
        run("ip", "-n", self.netns, "tuntap", "add", "dev", name, "mode", "tap")
        run("ip", "-n", self.netns, "link", "set", name, "master", self.bridge, "up")

    def ssh(self, ip: str, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on the guest; ``timeout`` (reference seconds) bounds the whole call."""
        cmd = [
            "ip", "netns", "exec", self.netns, "ssh", "-i", str(self.key_path),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            f"cirros@{ip}", *command,
        ]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True, timeout=scaled(timeout))

    def wait_ssh(self, ip: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Retry ``uname -a`` over SSH until it works; ``timeout`` in reference seconds."""
        last: list[subprocess.CompletedProcess[str]] = []

        def answered() -> subprocess.CompletedProcess[str] | None:
            # NOTE: a TCG guest on a loaded machine can take longer than one attempt's limit
            # just to answer the handshake; that is "not yet", like a refused connection.
            proc = self.ssh(ip, "uname", "-a", timeout=30)
            last[:] = [proc]
            return proc if proc.returncode == 0 else None

        try:
            return wait_until(
                answered, timeout, f"SSH to {ip}", step=0.5, retry_on=(subprocess.TimeoutExpired,)
            )
        except AssertionError as exc:
            detail = last[0].stderr.strip() if last else "no answer"
            raise AssertionError(f"{exc}: {detail}") from None

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.netns]

    # ------------------------------------------------------------------ helpers

    def _start_metadata_server(self) -> None:
        cmd = [
            *self.exec_prefix(), sys.executable, "-u", "-m", "http.server", "80",
            "--bind", METADATA_IP, "--directory", str(self.metadata_dir),
        ]  # fmt: skip
        log = open(self.workdir / "metadata.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        self._procs.append(proc)

        def serving() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"metadata responder exited with {proc.returncode}")
            return "Serving HTTP" in (self.workdir / "metadata.log").read_text()

        wait_until(serving, 30, "the metadata responder to start", step=0.05)

    def _restart_dnsmasq(self) -> None:
        if self._dnsmasq is not None:
            self._stop(self._dnsmasq)
            self._procs.remove(self._dnsmasq)
        cmd = [
            *self.exec_prefix(), "dnsmasq", "--keep-in-foreground", "--port=0",
            "--bind-interfaces", f"--interface={self.bridge}", "--except-interface=lo",
            f"--dhcp-range={SUBNET}.2,static,255.255.255.0,10m",
            f"--dhcp-leasefile={self.workdir / 'leases'}", "--dhcp-authoritative",
            f"--dhcp-option=option:router,{GATEWAY}",
            "--dhcp-option=option:classless-static-route,"
            f"{METADATA_IP}/32,{GATEWAY},0.0.0.0/0,{GATEWAY}",
            f"--pid-file={self.workdir / 'dnsmasq.pid'}", "--log-dhcp",
            f"--log-facility={self.workdir / 'dnsmasq.log'}",
        ]  # fmt: skip
        cmd += [f"--dhcp-host={mac},{ip}" for mac, ip in self._hosts.items()]
        self._dnsmasq = subprocess.Popen(cmd)
        self._procs.append(self._dnsmasq)

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def pids_in_namespace(self) -> list[int]:
        out = subprocess.run(
            ["ip", "netns", "pids", self.netns], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def own_pids(self) -> set[int]:
        """The lab's own helper processes (dnsmasq, metadata responder) still running."""
        return {p.pid for p in self._procs if p.poll() is None}

    def close(self) -> None:
        """End every process this lab started and delete the namespace. Safe to call twice."""
        for proc in self._procs:
            self._stop(proc)
        self._procs.clear()
        # NOTE: only processes this test run started live in its namespace (guests a failed
        # test left behind); without this they would keep the namespace's devices alive.
        for pid in self.pids_in_namespace():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True, check=False)
