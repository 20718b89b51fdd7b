"""The image API in-process on a fresh migrated database, with fixed tokens for a few callers.

Tokens (project, roles)::

    admin-token  p-admin  admin, member, reader
    a-member     p-a      member, reader          a-reader  p-a  reader
    b-member     p-b      member, reader          c-member  p-c  member, reader
    no-role      p-a      (none)

The database comes from ``tests.fixtures.database`` (SQLite, or PostgreSQL when
``STRATUS_TEST_DB_URL`` is set).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.testclient import TestClient

from stratus.api.image.app import ImageState, build
from stratus.common import config, exceptions
from stratus.common.config import Config
from stratus.common.context import RequestContext
from stratus.db.session import Database

CALLERS = {
    "admin-token": ("u-admin", "p-admin", ("admin", "member", "reader")),
    "a-member": ("u-a", "p-a", ("member", "reader")),
    "a-reader": ("u-a-reader", "p-a", ("reader",)),
    "b-member": ("u-b", "p-b", ("member", "reader")),
    "c-member": ("u-c", "p-c", ("member", "reader")),
    "no-role": ("u-none", "p-a", ()),
}
PATCH = "application/openstack-images-v2.1-json-patch"


class FakeValidator:
    """Maps the fixed tokens above to callers; anything else is not authenticated."""

    def validate(self, token: str) -> RequestContext:
        if token not in CALLERS:
            raise exceptions.NotAuthenticated("The request you have made requires authentication.")
        user, project, roles = CALLERS[token]
        return RequestContext(user_id=user, project_id=project, roles=roles, auth_token=token)


@dataclasses.dataclass
class ImageCloud:
    """A test client plus helpers that speak for one of the fixed callers."""

    client: TestClient
    state: ImageState
    datadir: Path

    @staticmethod
    def headers(token: str, **extra: str) -> dict[str, str]:
        return {"X-Auth-Token": token, **extra}

    def create(self, token: str = "a-member", **body: Any) -> dict[str, Any]:
        body.setdefault("disk_format", "raw")
        body.setdefault("container_format", "bare")
        r = self.client.post("/v2/images", json=body, headers=self.headers(token))
        assert r.status_code == 201, r.text
        return dict(r.json())

    def upload(self, image_id: str, data: bytes, token: str = "a-member") -> httpx.Response:
        headers = self.headers(token, **{"Content-Type": "application/octet-stream"})
        return self.client.put(f"/v2/images/{image_id}/file", content=data, headers=headers)

    def show(self, image_id: str, token: str = "a-member") -> httpx.Response:
        return self.client.get(f"/v2/images/{image_id}", headers=self.headers(token))

    def patch(
        self, image_id: str, ops: Any, token: str = "a-member", media: str = PATCH
    ) -> httpx.Response:
        headers = self.headers(token, **{"Content-Type": media})
        return self.client.patch(f"/v2/images/{image_id}", json=ops, headers=headers)

    def list_ids(self, token: str = "a-member", **params: Any) -> list[str]:
        r = self.client.get("/v2/images", params=params, headers=self.headers(token))
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["images"]]

    def active(
        self, token: str = "a-member", data: bytes = b"x" * 1024, **body: Any
    ) -> dict[str, Any]:
        image = self.create(token, **body)
        r = self.upload(image["id"], data, token)
        assert r.status_code == 204, r.text
        return image


def image_config(state: Path, **image: Any) -> Config:
    overrides: dict[str, dict[str, Any]] = {
        "DEFAULT": {"my_ip": "127.0.0.1", "host": "test-host"},
        "image": {"filesystem_store_datadir": str(state / "images"), **image},
    }
    return config.load(state_path=str(state), environ={}, overrides=overrides)


@pytest.fixture
def images(tmp_path: Path, db_url: str) -> Iterator[ImageCloud]:
    cfg = image_config(tmp_path / "state")
    db = Database.from_url(db_url)
    state = ImageState.create(cfg, db, FakeValidator())
    with TestClient(build(state), base_url="http://image.test:9292") as client:
        yield ImageCloud(client, state, Path(cfg.image.filesystem_store_datadir))
    db.dispose()
