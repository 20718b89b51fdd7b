"""Fixtures of the compute API tests: a project member and a bootable public image."""

from __future__ import annotations

import pytest

from tests.fixtures.cloud import Account, Cloud
from tests.functional.compute.servers_helpers import upload_image


@pytest.fixture
def member(cloud: Cloud) -> Account:
    """A new user with the member role on a new project."""
    return cloud.new_user(role="member")


@pytest.fixture
def image_id(cloud: Cloud) -> str:
    """An active, public raw image uploaded by the admin."""
    return upload_image(cloud, cloud.admin_headers())
