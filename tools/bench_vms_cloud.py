"""Stratus side of ``tools/bench_vms.py``: one ``stratus up`` (qemu driver) and its REST API.

``StratusUp`` starts ``stratus up --data-dir <tmp>`` on free loopback ports (the environment of
``tests/e2e/conftest.py``'s ``RunningCloud``), with the test image taken from the shared build
cache, and waits for its "Stratus is ready" banner (image ``cirros`` registered). ``close()``
stops it with SIGINT, as a user would, then removes what it leaves on the host by design or
after a failure (the e2e tests' ``tests/e2e/qemu_cloud.clean_host``): guests' QEMUs still
running (found by the pidfiles in the driver's run dir, each pid checked against its instance's
uuid), the networks' ``qdhcp-*`` namespaces and dnsmasq, the run dirs. Nothing else is touched.

``VmApi`` is the admin's session (token and catalog from ``bench_compute_client.Cloud``) with
the calls the benchmark makes: flavor, keypair, SSH rule, servers, hypervisors.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from bench_compute_client import Cloud
from bench_compute_procs import Proc, free_port, read_openrc
from bench_vms_common import ROOT, BenchError, status_mb

from stratus.virt.qemu import process
from stratus.virt.qemu.driver import default_run_dir

sys.path.insert(0, str(ROOT))
from tests.e2e.qemu_cloud import clean_host, image_cache_dir

FLAVOR = {"name": "m1.nano", "vcpus": 1, "ram": 128, "disk": 1}
KEYPAIR = "bench"
POLL = 0.1


class StratusUp:
    """A ``stratus up`` child process with the qemu driver (the default) in ``work``."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.data_dir = work / "var"
        self.key = work / "id_ed25519"  # the guests' SSH key (see ``ssh_keypair``)
        self.ports = {n: free_port() for n in ("identity", "image", "compute", "network")}
        self.env = dict(os.environ)
        self.env.update(
            STRATUS_MY_IP="127.0.0.1",
            STRATUS_API__BIND_HOST="127.0.0.1",
            STRATUS_IDENTITY__PORT=str(self.ports["identity"]),
            STRATUS_IMAGE__PORT=str(self.ports["image"]),
            STRATUS_COMPUTE__API_PORT=str(self.ports["compute"]),
            STRATUS_NETWORK__API_PORT=str(self.ports["network"]),
            STRATUS_VNC__NOVNCPROXY_PORT=str(free_port()),
            STRATUS_COMPUTE__TEST_IMAGE_DIR=str(image_cache_dir()),
            PYTHONUNBUFFERED="1",
        )
        cmd = [str(Proc.STRATUS), "up", "--data-dir", str(self.data_dir)]
        self.started = time.monotonic()
        self.proc = Proc.start("stratus", cmd, self.env, work / "stratus.log")

    @property
    def pid(self) -> int:
        return self.proc.popen.pid

    @property
    def run_dir(self) -> Path:
        return default_run_dir(self.data_dir / "instances")

    def wait_ready(self, timeout: float = 900) -> float:
        """Seconds from spawn until "Stratus is ready" is in the log (test image registered)."""
        deadline = time.monotonic() + timeout
        while "Stratus is ready" not in self.proc.tail(200_000):
            if self.proc.popen.poll() is not None:
                raise BenchError(f"stratus up exited ({self.proc.popen.returncode}):\n"
                                 + self.proc.tail())  # fmt: skip
            if time.monotonic() > deadline:
                raise BenchError(f"stratus up not ready after {timeout} s:\n{self.proc.tail()}")
            time.sleep(0.5)
        return time.monotonic() - self.started

    def api(self) -> VmApi:
        password = read_openrc(self.data_dir / "admin-openrc")["OS_PASSWORD"]
        return VmApi(f"http://127.0.0.1:{self.ports['identity']}/v3", password)

    def qemu_pid(self, uuid: str) -> int | None:
        """The running QEMU of instance ``uuid`` (the driver's pidfile, checked)."""
        return process.live_pid(self.run_dir / uuid / "qemu.pid", uuid)

    def console_log(self, uuid: str) -> Path:
        return self.data_dir / "instances" / uuid / "console.log"

    def close(self) -> int | None:
        """Stop ``stratus up`` (SIGINT, 120 s), then clean the host of what it left."""
        code = self.proc.stop(signal.SIGINT, timeout=120)
        self.clean_host()
        return code

    def clean_host(self) -> None:
        clean_host(self.data_dir)


class VmApi(Cloud):
    """The admin's REST session, plus what booting reachable guests needs."""

    def network(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, self.url["network"].rstrip("/") + path, **kw)

    def prepare_vms(self, public_key: str) -> None:
        """Unlimited quotas, flavor m1.nano (1 vCPU, 128 MiB, 1 GiB), the keypair, SSH allowed
        by ``default``; the ``cirros`` image and the ``private`` network are looked up."""
        quota = {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
        self.compute("PUT", f"/os-quota-sets/{self.project_id}", json=quota).raise_for_status()
        r = self.compute("POST", "/flavors", json={"flavor": FLAVOR})
        r.raise_for_status()
        self.flavor_id = r.json()["flavor"]["id"]
        keypair = {"keypair": {"name": KEYPAIR, "public_key": public_key}}
        self.compute("POST", "/os-keypairs", json=keypair).raise_for_status()
        images = self.client.get(self.url["image"].rstrip("/") + "/v2/images?name=cirros")
        images.raise_for_status()
        [image] = images.json()["images"]
        self.image_id = image["id"]
        r = self.network("GET", "/v2.0/networks?name=private")
        r.raise_for_status()
        [net] = r.json()["networks"]
        self.network_id: str = net["id"]
        r = self.network("GET", f"/v2.0/security-groups?name=default&project_id={self.project_id}")
        r.raise_for_status()
        [group] = r.json()["security_groups"]
        rule = {
            "security_group_id": group["id"],
            "direction": "ingress",
            "ethertype": "IPv4",
            "protocol": "tcp",
            "port_range_min": 22,
            "port_range_max": 22,
        }
        r = self.network("POST", "/v2.0/security-group-rules", json={"security_group_rule": rule})
        r.raise_for_status()

    @property
    def netns(self) -> str:
        return f"qdhcp-{self.network_id}"

    def create_server(self, name: str) -> str:
        body = {
            "server": {
                "name": name,
                "flavorRef": self.flavor_id,
                "imageRef": self.image_id,
                "key_name": KEYPAIR,
                "networks": [{"uuid": self.network_id}],
                "security_groups": [{"name": "default"}],
            }
        }
        r = self.compute("POST", "/servers", json=body)
        if r.status_code != 202:
            raise BenchError(f"POST /servers: {r.status_code} {r.text[:500]}")
        return str(r.json()["server"]["id"])

    def server(self, uuid: str) -> dict[str, Any] | None:
        """The server, or None once it is gone (404)."""
        r = self.compute("GET", f"/servers/{uuid}")
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return dict(r.json()["server"])

    def wait_active(self, uuid: str, deadline: float) -> dict[str, Any]:
        """Poll every 0.1 s until ACTIVE (no task); BenchError on ERROR or timeout."""
        while time.monotonic() < deadline:
            server = self.server(uuid)
            if server is None or server["status"] == "ERROR":
                raise BenchError(f"server {uuid} failed: {server and server.get('fault')}")
            if server["status"] == "ACTIVE" and not server.get("OS-EXT-STS:task_state"):
                return server
            time.sleep(POLL)
        raise BenchError(f"server {uuid} not ACTIVE in time")

    def delete_and_wait(self, uuids: list[str], timeout: float = 180) -> None:
        for uuid in uuids:
            r = self.compute("DELETE", f"/servers/{uuid}")
            if r.status_code not in (204, 404):
                raise BenchError(f"DELETE /servers/{uuid}: {r.status_code} {r.text[:300]}")
        deadline = time.monotonic() + timeout
        left = list(uuids)
        while left:
            left = [u for u in left if self.server(u) is not None]
            if left and time.monotonic() > deadline:
                raise BenchError(f"servers not deleted after {timeout} s: {left}")
            time.sleep(POLL)

    def statuses(self) -> dict[str, dict[str, Any]]:
        """Every server of the project by id (one ``GET /servers/detail``)."""
        r = self.compute("GET", "/servers/detail")
        r.raise_for_status()
        return {s["id"]: s for s in r.json()["servers"]}

    def hypervisor_type(self) -> str:
        r = self.compute("GET", "/os-hypervisors/detail")
        r.raise_for_status()
        return ", ".join(sorted({str(h["hypervisor_type"]) for h in r.json()["hypervisors"]}))


def fixed_ip(server: dict[str, Any]) -> str:
    """The server's address on ``private``."""
    return str(server["addresses"]["private"][0]["addr"])


def stratus_rss(up: StratusUp) -> dict[str, float | None]:
    return {"rss_mb": status_mb(up.pid), "peak_rss_mb": status_mb(up.pid, "VmHWM")}


def ssh_keypair(key: Path) -> str:
    """Generate a fresh ed25519 key at ``key``; returns the public key."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key.with_suffix(".pub").read_text().strip()
