"""What the metadata service and the config drive tell one instance about itself.

The conductor builds it for a compute host (``metadata_for_address``), which renders it with
:mod:`stratus.network.metadata.content`; the config drive is rendered from the same object.
"""

from __future__ import annotations

from typing import ClassVar

from stratus.objects.base import VersionedObject
from stratus.objects.instance import Instance
from stratus.objects.network import VIF


class InstanceMetadata(VersionedObject):
    """One instance with its ports and the fields of its row the metadata needs.

    ``key_type`` is the type of the instance's key pair (``ssh`` or ``x509``); ``vifs`` are its
    ports in the order they were attached.
    """

    # Version 1.0: initial version
    VERSION: ClassVar[str] = "1.0"

    instance: Instance
    vifs: list[VIF] = []
    key_type: str = "ssh"
    launch_index: int = 0
    reservation_id: str = ""
