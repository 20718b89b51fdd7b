"""One live ``stratus up --virt fake`` cloud for the fuzz suite, and tokens of two callers on it:
the bootstrap admin and a member of a project of its own (made through the identity API)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningCloud, fake_cloud
from tests.fixtures.waiting import scaled, wait_until
from tests.fuzz import runner

MEMBER = "fuzz-member"
MEMBER_PASSWORD = "fuzz-member-secret"


@dataclasses.dataclass(frozen=True)
class Caller:
    """A role the suite fuzzes as: its token, and the ids the exclusions protect."""

    role: str
    token: str
    user_id: str
    project_id: str


def _token(auth_url: str, user: str, password: str, project: str) -> tuple[str, dict[str, Any]]:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": project, "domain": {"id": "default"}}},
        }
    }
    reply = httpx.post(f"{auth_url}/auth/tokens", json=body, timeout=scaled(30))
    assert reply.status_code == 201, reply.text
    return reply.headers["X-Subject-Token"], reply.json()["token"]


def _post(auth_url: str, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = httpx.post(
        f"{auth_url}{path}", json=body, headers={"X-Auth-Token": token}, timeout=scaled(30)
    )
    assert reply.status_code == 201, reply.text
    result: dict[str, Any] = reply.json()
    return result


def _member(auth_url: str, admin_token: str) -> Caller:
    project = _post(auth_url, admin_token, "/projects", {"project": {"name": MEMBER}})["project"]
    user = _post(
        auth_url,
        admin_token,
        "/users",
        {
            "user": {
                "name": MEMBER,
                "password": MEMBER_PASSWORD,
                "default_project_id": project["id"],
            }
        },
    )["user"]
    roles = httpx.get(
        f"{auth_url}/roles?name=member", headers={"X-Auth-Token": admin_token}, timeout=scaled(30)
    ).json()["roles"]
    grant = httpx.put(
        f"{auth_url}/projects/{project['id']}/users/{user['id']}/roles/{roles[0]['id']}",
        headers={"X-Auth-Token": admin_token},
        timeout=scaled(30),
    )
    assert grant.status_code == 204, grant.text
    token, _ = _token(auth_url, MEMBER, MEMBER_PASSWORD, MEMBER)
    return Caller("member", token, user["id"], project["id"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per service and role: operations, requests, failures."""
    if runner.TALLIES:
        terminalreporter.section("schemathesis")
        for tally in runner.TALLIES:
            terminalreporter.write_line(tally.line())


@pytest.fixture(scope="session")
def fuzz_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    with fake_cloud(tmp_path_factory.mktemp("fuzz-cloud")) as cloud:
        yield cloud


@pytest.fixture(scope="session")
def callers(fuzz_cloud: RunningCloud) -> dict[str, Caller]:
    """``admin`` (the bootstrap admin, project admin) and ``member`` (project fuzz-member)."""
    env = fuzz_cloud.credentials("admin")
    auth_url = fuzz_cloud.auth_url
    token, info = _token(auth_url, env["OS_USERNAME"], env["OS_PASSWORD"], env["OS_PROJECT_NAME"])
    admin = Caller("admin", token, info["user"]["id"], info["project"]["id"])
    return {"admin": admin, "member": _member(auth_url, token)}


def _call(method: str, url: str, token: str, expect: int, **kwargs: Any) -> Any:
    reply = httpx.request(
        method, url, headers={"X-Auth-Token": token}, timeout=scaled(30), **kwargs
    )
    assert reply.status_code == expect, f"{method} {url}: {reply.status_code} {reply.text}"
    return reply.json() if reply.content else None


def _seed_network(cloud: RunningCloud, token: str) -> dict[str, str]:
    url = f"http://127.0.0.1:{cloud.ports['network']}/v2.0"
    net = _call("POST", f"{url}/networks", token, 201, json={"network": {"name": "fuzz"}})
    net_id = net["network"]["id"]
    subnet = {"network_id": net_id, "cidr": "10.99.0.0/24", "ip_version": 4}
    sub = _call("POST", f"{url}/subnets", token, 201, json={"subnet": subnet})
    port = _call("POST", f"{url}/ports", token, 201, json={"port": {"network_id": net_id}})
    sg = _call("POST", f"{url}/security-groups", token, 201, json={"security_group": {"name": "f"}})
    return {
        "network_id": net_id,
        "subnet_id": sub["subnet"]["id"],
        "port_id": port["port"]["id"],
        "sg_id": sg["security_group"]["id"],
        "resource": "networks",
        "resource_id": net_id,
    }


def _seed_image(cloud: RunningCloud, token: str) -> str:
    url = f"http://127.0.0.1:{cloud.ports['image']}/v2/images"
    spec = {"name": "fuzz", "disk_format": "raw", "container_format": "bare"}
    image_id: str = _call("POST", url, token, 201, json=spec)["id"]
    httpx.put(
        f"{url}/{image_id}/file",
        content=b"\0" * 1024,
        headers={"X-Auth-Token": token, "Content-Type": "application/octet-stream"},
        timeout=scaled(30),
    ).raise_for_status()
    return image_id


def _seed_server(cloud: RunningCloud, token: str, image_id: str, net_id: str) -> str:
    url = f"http://127.0.0.1:{cloud.ports['compute']}/v2.1/servers"
    spec = {"name": "fuzz", "imageRef": image_id, "flavorRef": "1", "networks": [{"uuid": net_id}]}
    server_id: str = _call("POST", url, token, 202, json={"server": spec})["server"]["id"]

    def active() -> bool:
        status = _call("GET", f"{url}/{server_id}", token, 200)["server"]["status"]
        assert status != "ERROR", f"seed server {server_id} went to ERROR"
        return bool(status == "ACTIVE")

    wait_until(active, 120, "the fuzz suite's seed server to become ACTIVE", step=0.5)
    return server_id


@pytest.fixture(scope="session")
def seeds(fuzz_cloud: RunningCloud, callers: dict[str, Caller]) -> dict[str, str]:
    """Path parameters naming real objects of the member's project (a network, subnet, port,
    security group, image and an ACTIVE server), so that generated requests also reach past
    the 404 of an unknown id. The fuzzed operations may change or delete them."""
    member = callers["member"]
    found = _seed_network(fuzz_cloud, member.token)
    found["image_id"] = _seed_image(fuzz_cloud, member.token)
    found["server_id"] = _seed_server(
        fuzz_cloud, member.token, found["image_id"], found["network_id"]
    )
    found.update(project_id=member.project_id, user_id=member.user_id, flavor_id="1", tag="fuzz")
    return found
