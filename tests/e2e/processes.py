"""Separate Stratus processes (``stratus api``, ``conductor``, ``scheduler``, ``compute``) for
end-to-end tests over a real message bus and database."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from stratus.services.identity.bootstrap import read_openrc
from tests.e2e.conftest import VENV_BIN, free_port
from tests.fixtures.waiting import scaled, wait_until

# NOTE: heartbeats every second, "down" after 15 missed: a loaded 2-core machine delays a
# heartbeat by seconds (compute -> RabbitMQ -> conductor -> PostgreSQL), and a host wrongly seen
# down turns into NoValidHost or 409s in tests that have nothing to do with it.
DOWN_TIME = 15
MV = {"OpenStack-API-Version": "compute 2.79"}


class Processes:
    def __init__(self, tmp_path: Path, rabbit_url: str, db_url: str | None = None) -> None:
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
            STRATUS_RPC_RESPONSE_TIMEOUT=str(int(scaled(60))),
            STRATUS_IDENTITY__PORT=str(self.ports["identity"]),
            STRATUS_IMAGE__PORT=str(self.ports["image"]),
            STRATUS_COMPUTE__API_PORT=str(self.ports["compute"]),
            STRATUS_NETWORK__API_PORT=str(self.ports["network"]),
            PYTHONUNBUFFERED="1",
        )
        if db_url:
            self.env["STRATUS_DATABASE__CONNECTION"] = db_url
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    # NOTE: "ab" keeps the log of every start of a process that is restarted (the fault suite)
    log_mode = "wb"

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        log = open(self.logs / f"{name}.log", self.log_mode)  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            [str(VENV_BIN / "stratus"), "--data-dir", str(self.data), *args],
            env={**self.env, **(env or {})},
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
                codes[name] = proc.wait(timeout=scaled(60))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = None
        return codes


def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` (an API still starting may refuse connections) until it holds."""
    wait_until(check, timeout, what, step=0.2, retry_on=(httpx.HTTPError,))


def token(p: Processes) -> str:
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


def service_states(client: httpx.Client, p: Processes) -> dict[str, str]:
    r = client.get(p.url("compute", "/v2.1/os-services?binary=stratus-compute"))
    assert r.status_code == 200, r.text
    return {s["host"]: s["state"] for s in r.json()["services"]}


def show_server(client: httpx.Client, p: Processes, sid: str) -> dict[str, Any]:
    r = client.get(p.url("compute", f"/v2.1/servers/{sid}"))
    assert r.status_code == 200, r.text
    return dict(r.json()["server"])


def post_server(
    client: httpx.Client, p: Processes, image_id: str, name: str, flavor: str = "1"
) -> str:
    body = {"name": name, "imageRef": image_id, "flavorRef": flavor, "networks": "none"}
    r = client.post(p.url("compute", "/v2.1/servers"), json={"server": body})
    assert r.status_code == 202, r.text
    return str(r.json()["server"]["id"])


def settled(client: httpx.Client, p: Processes, sid: str, timeout: float = 60) -> dict[str, Any]:
    """The server once it has left BUILD."""
    until(lambda: show_server(client, p, sid)["status"] != "BUILD", timeout, f"server {sid}")
    return show_server(client, p, sid)


def boot(client: httpx.Client, p: Processes, image_id: str, name: str) -> dict[str, Any]:
    server = settled(client, p, post_server(client, p, image_id, name))
    assert server["status"] == "ACTIVE", server
    return server


def upload_image(client: httpx.Client, p: Processes, name: str = "base") -> str:
    r = client.post(
        p.url("image", "/v2/images"),
        json={"name": name, "disk_format": "raw", "container_format": "bare"},
    )
    assert r.status_code == 201, r.text
    image_id = str(r.json()["id"])
    r = client.put(
        p.url("image", f"/v2/images/{image_id}/file"),
        content=b"\0" * 4096,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 204, r.text
    return image_id


def start_api(p: Processes) -> None:
    p.start("api", "api")
    until(lambda: httpx.get(p.url("identity", "/v3"), timeout=2).status_code == 200, 120, "api")


def start_qemu_plane(p: Processes) -> str:
    """API, conductor, scheduler and a QEMU agent on host ``cmp1``, with the test image built
    and registered as ``cirros``; what ``stratus manage image build-test`` printed."""
    start_api(p)
    p.start("conductor", "conductor")
    p.start("scheduler", "scheduler")
    p.start("agent", "compute", "--host", "cmp1", "--virt", "qemu")
    manage = subprocess.run(
        [str(VENV_BIN / "stratus"), "--data-dir", str(p.data), "manage", "image", "build-test",
         "--register"],
        env=p.env, capture_output=True, text=True, timeout=scaled(900),
    )  # fmt: skip
    assert manage.returncode == 0, manage.stdout + manage.stderr
    return manage.stdout
