"""Regression: ``"max_count": "\\n"`` on server create was a 500.

The schema's ``^[0-9]*$`` matches "\\n" (Python's ``$`` also matches before a final newline),
so the value reached ``int()``. It is now a 400 like any other count that is not a number.
"""

from __future__ import annotations

import pytest

from tests.fixtures.cloud import Cloud
from tests.functional.compute.servers_helpers import server_body, upload_image


@pytest.mark.parametrize("field", ["max_count", "min_count"])
@pytest.mark.parametrize("value", ["\n", ""])
def test_count_that_is_not_a_number_is_400(cloud: Cloud, field: str, value: str) -> None:
    admin = cloud.admin_headers()
    image_id = upload_image(cloud, admin)
    body = server_body(image_id, **{field: value})
    r = cloud.compute.post("/v2.1/servers", json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert f"server/{field}" in r.json()["badRequest"]["message"]
    assert cloud.compute.get("/v2.1/servers", headers=admin).json()["servers"] == []


def test_count_as_a_string_of_digits_still_works(cloud: Cloud) -> None:
    admin = cloud.admin_headers()
    image_id = upload_image(cloud, admin)
    body = server_body(image_id, min_count="2", max_count="2")
    r = cloud.compute.post("/v2.1/servers", json=body, headers=admin)
    assert r.status_code == 202, r.text
    assert len(cloud.compute.get("/v2.1/servers", headers=admin).json()["servers"]) == 2
