"""Regression: "/v2/images/" (an empty image id) is a 404, not a redirect to the image list.

Tempest's test_get_image_null_id / test_delete_image_null_id caught Starlette redirecting
trailing slashes; version roots ("/v3/") must still answer, since clients follow "self" links.
"""

from __future__ import annotations

from tests.fixtures.cloud import Cloud


def test_empty_image_id_is_404(cloud: Cloud) -> None:
    headers = cloud.admin_headers()
    assert cloud.image.get("/v2/images/", headers=headers).status_code == 404
    assert cloud.image.delete("/v2/images/", headers=headers).status_code == 404


def test_version_root_with_slash_answers(cloud: Cloud) -> None:
    assert cloud.identity.get("/v3/").status_code == 200
