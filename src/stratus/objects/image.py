"""What the compute side needs to know about an image."""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject


class ImageMeta(VersionedObject):
    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    id: str
    name: str = ""
    status: str = "active"
    disk_format: str | None = None
    container_format: str | None = None
    size: int | None = None
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    min_disk: int = 0
    min_ram: int = 0
    owner: str | None = None
    properties: dict[str, str] = {}
