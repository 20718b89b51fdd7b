"""Identifier formats: Keystone uses 32 hex digits, Glance/Nova/Neutron dashed UUIDs."""

from __future__ import annotations

import re
import uuid

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)


def hex_id() -> str:
    """Keystone-style id: ``uuid4().hex``."""
    return uuid.uuid4().hex


def uuid_id() -> str:
    """Dashed UUID, as Glance, Nova and Neutron use."""
    return str(uuid.uuid4())


def is_uuid_like(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID_RE.match(value))
