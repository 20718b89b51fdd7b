"""Real processes over RabbitMQ: ``stratus api``, ``conductor``, ``scheduler`` and two
``stratus compute --virt fake`` agents sharing nothing but the bus (and the agents not even the
database). A snapshot travels from an agent to the image API over real HTTP; killing one agent
makes it ``down`` within ``service_down_time`` and new servers go to the other one."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stratus.services.identity.bootstrap import read_openrc
from tests.e2e.conftest import VENV_BIN, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.rabbit]

DOWN_TIME = 4
MV = {"OpenStack-API-Version": "compute 2.79"}


class Processes:
    def __init__(self, tmp_path: Path, rabbit_url: str) -> None:
        self.data = tmp_path / "data"
        self.logs = tmp_path
        self.ports = {n: free_port() for n in ("identity", "image", "compute", "network")}
        self.env = dict(os.environ)
        self.env.update(
            STRATUS_MY_IP="127.0.0.1",
            STRATUS_HOST="controller",
            STRATUS_API__BIND_HOST="127.0.0.1",
            STRATUS_TRANSPORT_URL=rabbit_url,
            STRATUS_REPORT_INTERVAL="1",
            STRATUS_SERVICE_DOWN_TIME=str(DOWN_TIME),
            STRATUS_RPC_RESPONSE_TIMEOUT="20",
            STRATUS_IDENTITY__PORT=str(self.ports["identity"]),
            STRATUS_IMAGE__PORT=str(self.ports["image"]),
            STRATUS_COMPUTE__API_PORT=str(self.ports["compute"]),
            STRATUS_NETWORK__API_PORT=str(self.ports["network"]),
            PYTHONUNBUFFERED="1",
        )
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            [str(VENV_BIN / "stratus"), "--data-dir", str(self.data), *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def stop_all(self) -> dict[str, int | None]:
        codes: dict[str, int | None] = {}
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = None
        return codes


@pytest.fixture
def procs(tmp_path: Path, rabbit_url: str) -> Iterator[Processes]:
    p = Processes(tmp_path, rabbit_url)
    try:
        yield p
    finally:
        p.stop_all()


def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _token(p: Processes) -> str:
    rc = read_openrc(p.data / "admin-openrc")
    auth = {
        "identity": {
            "methods": ["password"],
            "password": {
                "user": {
                    "name": rc["OS_USERNAME"],
                    "domain": {"name": "Default"},
                    "password": rc["OS_PASSWORD"],
                }
            },
        },
        "scope": {"project": {"name": rc["OS_PROJECT_NAME"], "domain": {"name": "Default"}}},
    }
    r = httpx.post(p.url("identity", "/v3/auth/tokens"), json={"auth": auth}, timeout=30)
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"]


def _services(client: httpx.Client, p: Processes) -> dict[str, str]:
    r = client.get(p.url("compute", "/v2.1/os-services?binary=stratus-compute"))
    assert r.status_code == 200, r.text
    return {s["host"]: s["state"] for s in r.json()["services"]}


def _server(client: httpx.Client, p: Processes, sid: str) -> dict[str, Any]:
    r = client.get(p.url("compute", f"/v2.1/servers/{sid}"))
    assert r.status_code == 200, r.text
    return dict(r.json()["server"])


def _boot(client: httpx.Client, p: Processes, image_id: str, name: str) -> dict[str, Any]:
    body = {"name": name, "imageRef": image_id, "flavorRef": "1", "networks": "none"}
    r = client.post(p.url("compute", "/v2.1/servers"), json={"server": body})
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    _until(lambda: _server(client, p, sid)["status"] != "BUILD", 60, f"server {name}")
    server = _server(client, p, sid)
    assert server["status"] == "ACTIVE", server
    return server


def test_compute_processes_over_rabbitmq(procs: Processes) -> None:
    p = procs
    p.start("api", "api")
    _until(lambda: httpx.get(p.url("identity", "/v3"), timeout=2).status_code == 200, 120, "api")
    p.start("conductor", "conductor")
    p.start("scheduler", "scheduler")
    p.start("h1", "compute", "--host", "h1", "--virt", "fake")
    p.start("h2", "compute", "--host", "h2", "--virt", "fake")
    headers = {"X-Auth-Token": _token(p), **MV}
    with httpx.Client(headers=headers, timeout=30) as client:
        _until(lambda: _services(client, p) == {"h1": "up", "h2": "up"}, 60, "both agents up")
        r = client.post(
            p.url("image", "/v2/images"),
            json={"name": "base", "disk_format": "raw", "container_format": "bare"},
        )
        image_id = r.json()["id"]
        r = client.put(
            p.url("image", f"/v2/images/{image_id}/file"),
            content=b"\0" * 4096,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 204, r.text

        first = _boot(client, p, image_id, "first")
        r = client.post(
            p.url("compute", f"/v2.1/servers/{first['id']}/action"),
            json={"createImage": {"name": "snap"}},
        )
        assert r.status_code == 202, r.text
        snap = r.json()["image_id"]

        def snapshot_active() -> bool:
            image = client.get(p.url("image", f"/v2/images/{snap}")).json()
            assert image["status"] in ("queued", "saving", "active"), image
            return bool(image["status"] == "active")

        _until(snapshot_active, 60, "the snapshot image")

        p.procs["h1"].kill()  # no goodbye: the heartbeats just stop
        killed = time.monotonic()
        _until(lambda: _services(client, p)["h1"] == "down", DOWN_TIME + 10, "h1 down")
        assert time.monotonic() - killed <= DOWN_TIME + 3
        hosts = {_boot(client, p, image_id, f"after-{n}")["OS-EXT-SRV-ATTR:host"] for n in range(3)}
        assert hosts == {"h2"}
    codes = p.stop_all()
    for name in ("api", "conductor", "scheduler", "h2"):
        assert codes[name] == 0, f"{name} exited with {codes[name]}:\n{p.log(name)}"
    assert "this process must not open the database" not in p.log("h2")
