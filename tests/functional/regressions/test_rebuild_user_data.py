"""Regression: rebuild (2.57+) stored ``user_data`` that server create refuses (not base64).

Rebuild now checks it with create's rule and answers create's 400.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.fixtures.cloud import Cloud
from tests.functional.compute.servers_helpers import (
    action,
    boot,
    server_body,
    show,
    upload_image,
    version,
    wait_for_status,
)

NOT_BASE64 = "this is not base64!"


@pytest.fixture
def plane(cloud: Cloud) -> Iterator[Cloud]:
    cloud.start_control_plane()
    yield cloud
    cloud.stop_control_plane()


def test_rebuild_refuses_user_data_create_refuses(plane: Cloud) -> None:
    admin = plane.admin_headers()
    image_id = upload_image(plane, admin)
    r = plane.compute.post(
        "/v2.1/servers",
        json=server_body(image_id, user_data=NOT_BASE64, networks="none"),
        headers={**admin, **version("2.57")},
    )
    assert r.status_code == 400, r.text
    refused = r.json()["badRequest"]["message"]

    good = base64.b64encode(b"#!/bin/sh\n").decode()
    sid = boot(plane, admin, image_id, user_data=good)["id"]
    wait_for_status(plane, admin, sid, "ACTIVE")
    r = action(
        plane, admin, sid, {"rebuild": {"imageRef": image_id, "user_data": NOT_BASE64}}, "2.57"
    )
    assert r.status_code == 400, r.text
    assert r.json()["badRequest"]["message"] == refused
    assert show(plane, admin, sid, "2.57")["OS-EXT-SRV-ATTR:user_data"] == good

    again = base64.b64encode(b"#!/bin/sh\necho again\n").decode()
    r = action(plane, admin, sid, {"rebuild": {"imageRef": image_id, "user_data": again}}, "2.57")
    assert r.status_code == 202, r.text
    wait_for_status(plane, admin, sid, "ACTIVE")
    assert show(plane, admin, sid, "2.57")["OS-EXT-SRV-ATTR:user_data"] == again
