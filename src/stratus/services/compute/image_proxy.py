"""Nova's image proxy (``/v2.1/images``, deprecated): images and their metadata through the
image service, in-process, acting for the caller.

Every rule is the image service's (``image.images.ImageApi``): an image the caller cannot see is
404, a change the caller may not make (not the owner, not an admin) is 403. Nova adds two things
this module keeps: image "metadata" is the image's custom properties only, and writing it counts
against the project's ``metadata_items`` quota (403 "Image metadata limit exceeded").

Metadata writes are computed against the image as read, then applied as one image-service update
(as Nova does with ``purge_props``); a concurrent change in between can make that update fail
with 409 rather than be silently lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.common.context import RequestContext
from stratus.db.session import Database
from stratus.services import quota
from stratus.services.compute.validation import Images
from stratus.services.image.images import MUTABLE, Change, ImageApi, ImageView, Policy

__all__ = ["ImageMetadata", "ImageProxy", "not_found"]

# Names Glance keeps for itself: attributes of an image and reserved words. Nova would pass them
# on to Glance as attribute changes; here they are refused, since metadata shows none of them.
_ATTRIBUTES = frozenset(f.name for f in dataclasses.fields(ImageView)) | MUTABLE
_RESERVED = frozenset(
    {"location", "locations", "deleted", "deleted_at", "direct_url", "self", "file", "schema"}
)
_RESERVED_PREFIX = "os_glance"


def not_found() -> exceptions.NotFound:
    return exceptions.NotFound("Image not found.")


class ImageProxy:
    """Images as Nova's proxy shows and deletes them."""

    def __init__(self, db: Database, cfg: Config, ctx: RequestContext, policy: Policy) -> None:
        self.db = db
        self.cfg = cfg
        self.ctx = ctx
        self.images: ImageApi = Images(db, cfg, ctx, policy).api

    def get(self, image_id: str) -> ImageView:
        """The image; 404 unless the caller may see it."""
        try:
            return self.images.get(image_id)
        except exceptions.NotFound:
            raise not_found() from None

    def delete(self, image_id: str) -> None:
        """Delete the image and its data; 404 if unseen, 403 if not the caller's or protected."""
        try:
            self.images.delete(image_id)
        except exceptions.NotFound:
            raise not_found() from None


class ImageMetadata(ImageProxy):
    """An image's custom properties as Nova's ``/images/{id}/metadata``."""

    def show(self, image_id: str) -> dict[str, str]:
        return dict(self.get(image_id).properties)

    def item(self, image_id: str, key: str) -> str:
        """One item; 404 if the image or the key is not there."""
        metadata = self.show(image_id)
        if key not in metadata:
            raise exceptions.NotFound(f"Metadata item {key} was not found.")
        return metadata[key]

    def merge(self, image_id: str, items: Mapping[str, str]) -> dict[str, str]:
        """Add or change ``items``, keeping the others; the image's metadata afterwards."""
        current = self.show(image_id)
        return self._write(image_id, current, {**current, **items})

    def replace(self, image_id: str, items: Mapping[str, str]) -> dict[str, str]:
        """Make ``items`` the image's whole metadata."""
        current = self.show(image_id)
        return self._write(image_id, current, dict(items))

    def delete_item(self, image_id: str, key: str) -> None:
        current = self.show(image_id)
        if key not in current:
            raise exceptions.NotFound("Invalid metadata key")
        wanted = dict(current)
        del wanted[key]
        self._write(image_id, current, wanted)

    def _write(
        self, image_id: str, current: Mapping[str, str], wanted: dict[str, str]
    ) -> dict[str, str]:
        for key in wanted:
            if key not in current:
                _check_key(key)
        self._check_quota(len(wanted))
        changes = [Change("remove", key) for key in current if key not in wanted]
        changes += [
            Change("add", key, value) for key, value in wanted.items() if current.get(key) != value
        ]
        if not changes:
            return wanted
        try:
            image = self.images.update(image_id, changes)
        except exceptions.NotFound:
            raise not_found() from None
        except exceptions.PayloadTooLarge:
            raise _over_quota() from None
        return dict(image.properties)

    def _check_quota(self, count: int) -> None:
        """Nova's ``check_img_metadata_properties_quota`` on the caller's project."""
        if count == 0 or self.ctx.project_id is None:
            return
        with self.db.read() as session:
            limit = quota.limits(session, self.cfg, self.ctx.project_id).get(
                "metadata_items", quota.UNLIMITED
            )
        if limit != quota.UNLIMITED and count > limit:
            raise _over_quota()


def _over_quota() -> exceptions.QuotaExceeded:
    return exceptions.QuotaExceeded("Image metadata limit exceeded")


def _check_key(key: str) -> None:
    if key in _RESERVED or key.startswith(_RESERVED_PREFIX):
        raise exceptions.Forbidden(f"Attribute '{key}' is reserved.")
    if key in _ATTRIBUTES:
        raise exceptions.Forbidden(
            f"'{key}' is an attribute of the image, not metadata; change it with the image API."
        )
