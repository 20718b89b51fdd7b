"""Checks of a server create (and of resize/rebuild) against the rest of the cloud: flavor,
image, keypair, security groups, availability zone, server group, user data, metadata.

Each raises ``Invalid`` (400) with Nova's message, ``Forbidden`` (403) for a policy or quota
limit, and returns what the caller needs next (the flavor as a wire object, the image …).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.common.config import Config
from stratus.common.context import RequestContext
from stratus.db.models.compute import KeyPair, ServerGroup
from stratus.db.repositories.compute import server_refs
from stratus.db.session import Database
from stratus.image.stores.filesystem import FilesystemStore
from stratus.objects.flavor import Flavor
from stratus.objects.image import ImageMeta
from stratus.services import quota
from stratus.services.image.images import ImageApi, ImageView, NewImage, Policy
from stratus.services.network import server_ports

GIB = 1024**3
MAX_USER_DATA = 65535


def flavor(session: Session, ref: str | int, project_id: str | None, is_admin: bool) -> Flavor:
    """The flavor ``ref`` (id or bookmark URL) the caller may boot; 400 otherwise."""
    flavorid = str(ref).rstrip("/").rsplit("/", 1)[-1]
    row = server_refs.flavor(session, flavorid)
    if row is None or not (is_admin or server_refs.flavor_accessible(session, row, project_id)):
        raise exceptions.Invalid("Invalid flavorRef provided.")
    if row.disabled:
        raise exceptions.Invalid("Flavor is disabled.")
    return server_refs.flavor_object(session, row)


def image_id_of(ref: str) -> str:
    image_id = ref.rstrip("/").rsplit("/", 1)[-1]
    if not ids.is_uuid_like(image_id):
        raise exceptions.Invalid("Invalid imageRef provided.")
    return image_id


class Images:
    """The image service, in-process, acting for the caller (visibility rules included)."""

    def __init__(self, db: Database, cfg: Config, ctx: RequestContext, policy: Policy) -> None:
        store = FilesystemStore(cfg.image.filesystem_store_datadir)
        self.api = ImageApi(db, store, cfg.image, ctx, policy)

    def get(self, ref: str) -> ImageView:
        """An active image the caller can see; 400 otherwise (Nova's create behaviour)."""
        image_id = image_id_of(ref)
        try:
            image = self.api.get(image_id)
        except exceptions.NotFound:
            raise exceptions.Invalid(f"Image {image_id} could not be found.") from None
        if image.status != "active":
            raise exceptions.Invalid(f"Image {image_id} is not active.")
        return image

    def create_snapshot(self, new: NewImage) -> ImageView:
        return self.api.create(new)


def image_meta(image: ImageView) -> ImageMeta:
    return ImageMeta(
        id=image.id,
        name=image.name or "",
        status=image.status,
        disk_format=image.disk_format,
        container_format=image.container_format,
        size=image.size,
        checksum=image.checksum,
        os_hash_algo=image.os_hash_algo,
        os_hash_value=image.os_hash_value,
        min_disk=image.min_disk,
        min_ram=image.min_ram,
        owner=image.owner,
        properties=dict(image.properties),
    )


def image_fits(image: ImageView, flavor: Flavor) -> None:
    """Nova's ``_check_requested_image``: the flavor must be big enough for the image."""
    if image.min_ram and flavor.memory_mb < image.min_ram:
        raise exceptions.Invalid("Flavor's memory is too small for requested image.")
    if flavor.root_gb == 0:
        return  # NOTE: a zero-disk flavor boots with a root disk the size of the image.
    if image.min_disk and image.min_disk > flavor.root_gb:
        raise exceptions.Invalid("Flavor's disk is too small for requested image.")
    if image.size and image.size > flavor.root_gb * GIB:
        raise exceptions.Invalid(
            "Flavor's disk is too small for requested image. Flavor disk is "
            f"{flavor.root_gb * GIB} bytes, image is {image.size} bytes."
        )


def system_metadata(image: ImageView | None) -> dict[str, str]:
    """``image_*`` facts kept with the instance (Nova's system metadata)."""
    if image is None:
        return {}
    values = {
        "image_base_image_ref": image.id,
        "image_min_ram": str(image.min_ram),
        "image_min_disk": str(image.min_disk),
        "image_disk_format": image.disk_format or "",
        "image_container_format": image.container_format or "",
        "image_name": image.name or "",
    }
    for key, value in image.properties.items():
        values[f"image_{key}"[:255]] = value
    return values


def keypair(session: Session, user_id: str | None, name: str | None) -> KeyPair | None:
    if name is None:
        return None
    row = server_refs.keypair(session, user_id or "", name)
    if row is None:
        raise exceptions.Invalid("Invalid key_name provided.")
    return row


def security_groups(session: Session, project_id: str, names: list[str]) -> list[str]:
    """The names without repeats, after checking each is one of the project's groups (the
    network service answers 400 for an unknown one; "default" always exists)."""
    found = list(dict.fromkeys(names))
    server_ports.validate_security_groups(session, project_id, found)
    return found


def availability_zone(
    session: Session, cfg: Config, requested: str | None, may_force_host: bool
) -> tuple[str | None, str | None, str | None]:
    """``zone[:host[:node]]`` -> (zone, forced host, forced node); forcing is admin-only."""
    if not requested:
        return None, None, None
    zone, _, rest = requested.partition(":")
    host, _, node = rest.partition(":")
    if host or node:
        if not may_force_host:
            raise exceptions.Forbidden(
                "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed."
            )
        if host and not server_refs.compute_node_exists(session, host, node or None):
            raise exceptions.Invalid(f"Compute host {host} could not be found.")
    if zone:
        known = {cfg.compute.default_availability_zone} | server_refs.aggregate_zones(session)
        if zone not in known:
            raise exceptions.Invalid("The requested availability zone is not available")
    return zone or None, host or None, node or None


def server_group(
    session: Session, cfg: Config, uuid: str | None, project_id: str, is_admin: bool, count: int
) -> ServerGroup | None:
    """The ``group`` scheduler hint: a group of the project, with room for ``count`` more."""
    if uuid is None:
        return None
    group = server_refs.server_group(session, uuid)
    if group is None or not (is_admin or group.project_id == project_id):
        raise exceptions.Invalid(f"Server group {uuid} could not be found.")
    limit = quota.limits(session, cfg, project_id).get("server_group_members", quota.UNLIMITED)
    members = server_refs.server_group_members(session, group.id)
    if limit != quota.UNLIMITED and len(members) + count > limit:
        raise exceptions.QuotaExceeded("Quota exceeded, too many servers in group")
    return group


def user_data(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_USER_DATA:
        raise exceptions.Invalid(
            f"User data too large. User data must be no larger than "
            f"{MAX_USER_DATA} bytes once base64 encoded."
        )
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise exceptions.Invalid("User data needs to be valid base 64.") from None
    return value


def metadata_items(
    session: Session, cfg: Config, project_id: str, items: Mapping[str, str]
) -> None:
    """403 when ``items`` has more entries than the ``metadata_items`` quota allows."""
    limit = quota.limits(session, cfg, project_id).get("metadata_items", quota.UNLIMITED)
    if limit != quota.UNLIMITED and len(items) > limit:
        raise exceptions.QuotaExceeded(f"Maximum number of metadata items exceeds {limit}")


_HOST_BAD = re.compile(r"[^\w.-]+")


def sanitize_hostname(name: str, default: str) -> str:
    """Nova's ``sanitize_hostname``: latin-1, ≤ 63 chars, ``[a-z0-9.-]``, no edge dots/dashes."""
    text = name.encode("latin-1", "ignore").decode("latin-1")[:63]
    text = re.sub(r"[ _.]", "-", text)
    text = _HOST_BAD.sub("", text).lower().strip(".-")
    return text or default[:63]
