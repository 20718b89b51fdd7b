"""The instance as compute hosts see it (a snapshot of the database row, sent on the bus)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from stratus.objects.base import VersionedObject
from stratus.objects.flavor import Flavor


class Instance(VersionedObject):
    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    uuid: str
    display_name: str
    hostname: str
    project_id: str
    user_id: str
    image_ref: str = ""
    kernel_id: str = ""
    ramdisk_id: str = ""
    flavor: Flavor
    old_flavor: Flavor | None = None
    new_flavor: Flavor | None = None
    host: str | None = None
    node: str | None = None
    availability_zone: str | None = None
    vm_state: str
    task_state: str | None = None
    power_state: int = 0
    key_name: str | None = None
    key_data: str | None = None
    user_data: str | None = None
    config_drive: bool = False
    metadata: dict[str, str] = {}
    system_metadata: dict[str, str] = {}
    launched_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    security_groups: list[str] = []
    deleted: bool = False
