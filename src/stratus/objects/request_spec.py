"""What the scheduler is asked to place, and what it answers."""

from __future__ import annotations

from typing import Any, ClassVar

from stratus.objects.base import VersionedObject, parse_version
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta


class RequestSpec(VersionedObject):
    """One boot (of ``num_instances`` servers), resize or migration request."""

    # Version 1.0: initial version
    # Version 1.1: added requested_destination (a host the filters must still accept)
    VERSION: ClassVar[str] = "1.1"

    project_id: str
    user_id: str
    flavor: Flavor
    image: ImageMeta | None = None
    num_instances: int = 1
    availability_zone: str | None = None
    force_host: str | None = None
    force_node: str | None = None
    ignore_hosts: list[str] = []
    scheduler_hints: dict[str, list[str]] = {}
    server_group_uuid: str | None = None
    server_group_policy: str | None = None
    server_group_hosts: list[str] = []
    server_group_rules: dict[str, int] = {}
    attempt: int = 1
    is_rebuild: bool = False
    requested_destination: str | None = None

    def obj_make_compatible(self, data: dict[str, Any], target_version: str) -> None:
        if parse_version(target_version) < (1, 1):
            data.pop("requested_destination", None)


class Selection(VersionedObject):
    """A host the scheduler chose and claimed resources on for one instance."""

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    instance_uuid: str
    host: str
    node: str
    compute_node_uuid: str


class NoValidHostReport(VersionedObject):
    """Why nothing fit: per-filter rejection counts, for the instance fault."""

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    message: str
    admin_message: str
