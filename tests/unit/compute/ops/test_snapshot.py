"""createImage on the agent: the snapshot goes to the image service over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from tests.fixtures.instances import make_instance
from tests.unit.compute.conftest import World

from stratus.objects import states as s

CATALOG = {
    "catalog": [
        {"type": "compute", "endpoints": [{"interface": "public", "url": "http://c:8774/v2.1"}]},
        {
            "type": "image",
            "endpoints": [
                {"interface": "public", "url": "http://public:9292", "region_id": "RegionOne"},
                {"interface": "internal", "url": "http://internal:9292/", "region_id": "RegionOne"},
            ],
        },
    ]
}


class FakeGlance:
    def __init__(self, put_status: int = 204) -> None:
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.put_status = put_status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.requests.append((request.method, str(request.url), body, dict(request.headers)))
        if request.url.path == "/v3/auth/catalog":
            return httpx.Response(200, json=CATALOG)
        if request.method == "PUT" and self.put_status != 204:
            return httpx.Response(
                self.put_status, json={"overLimit": {"code": 413, "message": "Quota full."}}
            )
        return httpx.Response(204 if request.method != "PATCH" else 200, json={})


def _world(tmp_path: Path, glance: FakeGlance) -> World:
    world = World(tmp_path, transport=httpx.MockTransport(glance))
    world.env("h1")
    return world


def test_snapshot_uploads_the_file(tmp_path: Path) -> None:
    glance = FakeGlance()
    world = _world(tmp_path, glance)
    inst = world.conductor.add(make_instance(host="h1", task_state=s.IMAGE_SNAPSHOT_PENDING))
    world.driver().spawn(inst, None, [])
    world.agents["h1"].snapshot_instance(inst, "img-9", "tok-1")
    methods = [(m, u) for m, u, _b, _h in glance.requests]
    assert methods == [
        ("GET", "http://id.example/v3/auth/catalog"),
        ("PATCH", "http://internal:9292/v2/images/img-9"),
        ("PUT", "http://internal:9292/v2/images/img-9/file"),
    ]
    assert all(h["x-auth-token"] == "tok-1" for _m, _u, _b, h in glance.requests)
    patch = json.loads(glance.requests[1][2])
    assert {"op": "replace", "path": "/disk_format", "value": "raw"} in patch
    put_body = glance.requests[2][2]
    assert put_body.startswith(b"STRATUS FAKE DISK") and len(put_body) == 64 * 1024
    assert glance.requests[2][3]["content-type"] == "application/octet-stream"
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state) == (s.ACTIVE, None)
    tasks = [u[1]["task_state"] for u in world.conductor.updates]
    assert tasks == [s.IMAGE_SNAPSHOT, s.IMAGE_PENDING_UPLOAD, s.IMAGE_UPLOADING, None]
    assert list((Path(world.cfg.compute.instances_path) / "snapshots").iterdir()) == []


def test_failed_upload_deletes_the_image_and_says_why(tmp_path: Path) -> None:
    glance = FakeGlance(put_status=413)
    world = _world(tmp_path, glance)
    inst = world.conductor.add(
        make_instance(host="h1", vm_state=s.STOPPED, task_state=s.IMAGE_SNAPSHOT_PENDING)
    )
    world.driver().spawn(inst, None, [], power_on=False)
    world.agents["h1"].snapshot_instance(inst, "img-9", "tok-1")
    assert glance.requests[-1][0:2] == ("DELETE", "http://internal:9292/v2/images/img-9")
    got = world.conductor.get(inst.uuid)
    assert (got.vm_state, got.task_state) == (s.STOPPED, None)
    message = world.conductor.faults[0]["message"]
    assert "uploading the snapshot into image img-9 failed: HTTP 413: Quota full." in message


def test_driver_failure_deletes_the_image(tmp_path: Path) -> None:
    glance = FakeGlance()
    world = _world(tmp_path, glance)
    inst = world.conductor.add(
        make_instance(
            host="h1", task_state=s.IMAGE_SNAPSHOT_PENDING, metadata={"fake:fail_ops": "snapshot"}
        )
    )
    world.driver().spawn(inst, None, [])
    world.agents["h1"].snapshot_instance(inst, "img-9", "tok-1")
    assert [m for m, *_ in glance.requests] == ["GET", "DELETE"]
    assert world.conductor.get(inst.uuid).task_state is None
