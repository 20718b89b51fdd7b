"""Pure checks of a server create: hostnames, user data, image references."""

from __future__ import annotations

import base64

import pytest

from stratus.common import exceptions
from stratus.services.compute import validation as check


@pytest.mark.parametrize(
    ("name", "hostname"),
    [
        ("web", "web"),
        ("Web_Server.01", "web-server-01"),
        ("my server", "my-server"),
        ("--edge..", "edge"),
        ("ünïcode", "ünïcode"),
        ("日本語", "Server-x"),
        ("a" * 80, "a" * 63),
        ("x" * 62 + " y", "x" * 62),  # cut to 63 first, then the edge dash goes
    ],
)
def test_sanitize_hostname(name, hostname):
    assert check.sanitize_hostname(name, "Server-x") == hostname


def test_user_data_must_be_base64_and_small():
    good = base64.b64encode(b"#cloud-config\n").decode()
    assert check.user_data(good) == good
    assert check.user_data(None) is None
    with pytest.raises(exceptions.Invalid, match="valid base 64"):
        check.user_data("%%%")
    with pytest.raises(exceptions.Invalid, match="too large"):
        check.user_data("A" * 65536)


def test_image_refs():
    image = "6d9d3f36-8ff5-4f73-a1a5-5ff51db0d9b7"
    assert check.image_id_of(image) == image
    assert check.image_id_of(f"http://glance:9292/v2/images/{image}") == image
    with pytest.raises(exceptions.Invalid, match="Invalid imageRef"):
        check.image_id_of("cirros")
