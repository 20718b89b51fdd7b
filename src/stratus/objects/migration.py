"""A resize or cold migration as the compute hosts involved see it."""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject


class MigrationRef(VersionedObject):
    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    uuid: str
    instance_uuid: str
    migration_type: str
    status: str
    source_compute: str | None = None
    dest_compute: str | None = None
    source_node: str | None = None
    dest_node: str | None = None
