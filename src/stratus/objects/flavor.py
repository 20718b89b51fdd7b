"""Flavor as carried by instances and requests."""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject


class Flavor(VersionedObject):
    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    flavorid: str
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    disabled: bool = False
    description: str | None = None
    extra_specs: dict[str, str] = {}
