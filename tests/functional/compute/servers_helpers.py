"""Helpers of the servers API tests: images to boot from, request bodies, waiting for states.

The fixtures ``member`` and ``image_id`` live in this directory's ``conftest.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.fixtures.cloud import Cloud
from tests.fixtures.waiting import wait_until

RAW = b"\0" * 4096


def version(v: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"compute {v}"}


def upload_image(
    cloud: Cloud,
    headers: dict[str, str],
    *,
    name: str = "cirros",
    visibility: str = "public",
    min_ram: int = 0,
    min_disk: int = 0,
    data: bytes = RAW,
    activate: bool = True,
) -> str:
    """A raw image (active unless ``activate`` is False); its id."""
    body = {
        "name": name,
        "disk_format": "raw",
        "container_format": "bare",
        "visibility": visibility,
        "min_ram": min_ram,
        "min_disk": min_disk,
    }
    r = cloud.image.post("/v2/images", json=body, headers=headers)
    assert r.status_code == 201, r.text
    image_id = str(r.json()["id"])
    if activate:
        r = cloud.image.put(
            f"/v2/images/{image_id}/file",
            content=data,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 204, r.text
    return image_id


def server_body(
    image_id: str, flavor: str = "1", name: str | None = None, **extra: Any
) -> dict[str, Any]:
    server: dict[str, Any] = {
        "name": name or f"vm-{uuid.uuid4().hex[:6]}",
        "imageRef": image_id,
        "flavorRef": flavor,
    }
    server.update(extra)
    return {"server": server}


def boot(cloud: Cloud, headers: dict[str, str], image_id: str, **extra: Any) -> dict[str, Any]:
    """Create one server and return the create response's ``server``."""
    r = cloud.compute.post("/v2.1/servers", json=server_body(image_id, **extra), headers=headers)
    assert r.status_code == 202, r.text
    return dict(r.json()["server"])


def show(cloud: Cloud, headers: dict[str, str], server_id: str, v: str = "2.1") -> dict[str, Any]:
    r = cloud.compute.get(f"/v2.1/servers/{server_id}", headers={**headers, **version(v)})
    assert r.status_code == 200, r.text
    return dict(r.json()["server"])


def action(
    cloud: Cloud, headers: dict[str, str], server_id: str, body: dict[str, Any], v: str = "2.1"
) -> Any:
    return cloud.compute.post(
        f"/v2.1/servers/{server_id}/action", json=body, headers={**headers, **version(v)}
    )


def reset_state(cloud: Cloud, server_id: str, state: str = "active") -> None:
    """Put a server in ``state`` through the admin API (for tests without compute hosts)."""
    r = action(cloud, cloud.admin_headers(), server_id, {"os-resetState": {"state": state}})
    assert r.status_code == 202, r.text


def wait_for_status(
    cloud: Cloud,
    headers: dict[str, str],
    server_id: str,
    status: str,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Poll until the server shows ``status`` with no task state; fail at once on ERROR."""
    last: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        r = cloud.compute.get(f"/v2.1/servers/{server_id}", headers=headers)
        if status == "DELETED" and r.status_code == 404:
            return {"status": "DELETED"}
        assert r.status_code == 200, r.text
        last.update(r.json()["server"])
        if last["status"] == "ERROR" and status != "ERROR":
            pytest.fail(f"server {server_id} went to ERROR: {last.get('fault')}")
        done = last["status"] == status and last.get("OS-EXT-STS:task_state") is None
        return dict(last) if done else None

    found = wait_until(reached, timeout, f"server {server_id} to reach {status}", step=0.05)
    return {} if status == "DELETED" else found


def wait_for_image(
    cloud: Cloud, headers: dict[str, str], image_id: str, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll the image API until the image (a snapshot being uploaded) is ``active``."""

    def active() -> dict[str, Any] | None:
        body: dict[str, Any] = cloud.image.get(f"/v2/images/{image_id}", headers=headers).json()
        return body if body.get("status") == "active" else None

    return wait_until(active, timeout, f"image {image_id} to become active", step=0.05)
