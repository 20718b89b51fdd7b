"""Images and members as JSON, key for key as Glance shows them.

Custom properties are top-level keys; unset attributes are ``null`` (not left out); times are
``2026-11-23T03:42:48Z``; ``self``, ``file`` and ``schema`` are relative links.
"""

from __future__ import annotations

from typing import Any

from stratus.common import clock
from stratus.services.image.images import ImageView
from stratus.services.image.members import MemberView


def image(view: ImageView) -> dict[str, Any]:
    body: dict[str, Any] = dict(view.properties)
    body.update(
        {
            "id": view.id,
            "name": view.name,
            "status": view.status,
            "visibility": view.visibility,
            "protected": view.protected,
            "os_hidden": view.os_hidden,
            "checksum": view.checksum,
            "os_hash_algo": view.os_hash_algo,
            "os_hash_value": view.os_hash_value,
            "owner": view.owner,
            "size": view.size,
            "virtual_size": view.virtual_size,
            "min_ram": view.min_ram,
            "min_disk": view.min_disk,
            "disk_format": view.disk_format,
            "container_format": view.container_format,
            "created_at": clock.isotime(view.created_at),
            "updated_at": clock.isotime(view.updated_at),
            "tags": list(view.tags),
            "self": f"/v2/images/{view.id}",
            "file": f"/v2/images/{view.id}/file",
            "schema": "/v2/schemas/image",
        }
    )
    return body


def member(view: MemberView) -> dict[str, Any]:
    return {
        "member_id": view.member_id,
        "image_id": view.image_id,
        "status": view.status,
        "created_at": clock.isotime(view.created_at),
        "updated_at": clock.isotime(view.updated_at),
        "schema": "/v2/schemas/member",
    }
