"""Helpers for the networking API tests: a JSON client bound to one caller's token."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from tests.fixtures.cloud import Account, Cloud


@dataclasses.dataclass
class Net:
    """``cloud.network`` with one caller's headers and Neutron-shaped shortcuts."""

    client: TestClient
    headers: dict[str, str]
    project_id: str

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.client.post(path, json=body, headers=self.headers)

    def put(self, path: str, body: Any = None) -> httpx.Response:
        return self.client.put(path, json=body, headers=self.headers)

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(path, headers=self.headers)

    def create(self, kind: str, status: int = 201, **attrs: Any) -> dict[str, Any]:
        collection = {
            "security_group": "security-groups",
            "security_group_rule": "security-group-rules",
        }.get(kind, f"{kind}s")
        r = self.post(f"/v2.0/{collection}", {kind: attrs})
        assert r.status_code == status, r.text
        return r.json()[kind] if status == 201 else r.json()

    def network_with_subnet(
        self, cidr: str = "192.168.10.0/24", **subnet: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        net = self.create("network", name="n")
        sub = self.create("subnet", network_id=net["id"], cidr=cidr, ip_version=4, **subnet)
        return net, sub


def error(r: httpx.Response) -> dict[str, Any]:
    """The Neutron fault of a response (and that it is one)."""
    fault = r.json()["NeutronError"]
    assert set(fault) == {"type", "message", "detail"}
    return fault


def as_net(cloud: Cloud, account: Account) -> Net:
    return Net(cloud.network, account.headers, account.project_id)


@pytest.fixture
def alice(cloud: Cloud) -> Net:
    return as_net(cloud, cloud.new_user("alice-project"))


@pytest.fixture
def bob(cloud: Cloud) -> Net:
    return as_net(cloud, cloud.new_user("bob-project"))


@pytest.fixture
def admin(cloud: Cloud) -> Net:
    r = cloud.identity.get("/v3/auth/projects", headers=cloud.admin_headers())
    project = next(p["id"] for p in r.json()["projects"] if p["name"] == "admin")
    return Net(cloud.network, cloud.admin_headers(), project)
