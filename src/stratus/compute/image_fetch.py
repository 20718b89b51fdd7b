"""The qemu driver's image fetcher: image data from the image API over HTTP, verified.

``ImageFetcher(image_id, dest)`` is the driver's ``Fetcher``: logged in as the service user
(``[service_user]``, role ``service``, which the image policy lets show and download every image
a user may boot, and which may do nothing else), it reads the image's
record (``GET /v2/images/{id}``), refuses images that are not ``active``, streams the data
(``GET /v2/images/{id}/file``) into ``dest`` while hashing it, and checks the hash against the
record's ``os_hash_value`` (``os_hash_algo``, sha512 by default) or, for images without one, the
MD5 ``checksum``. Any mismatch or refusal is a ``DriverError`` whose message becomes the build's
fault. The driver's image cache calls it once per image per host.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import httpx

from stratus.client.auth import AuthError, PasswordSession, reason
from stratus.objects.image import ImageMeta
from stratus.virt.driver import DriverError

LOG = logging.getLogger(__name__)

CHUNK = 1 << 20
# image record keys that are not custom properties (Glance v2's schema)
STANDARD_KEYS = frozenset({
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum", "os_hash_algo",
    "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "created_at",
    "updated_at", "tags", "self", "file", "schema", "disk_format", "container_format",
    "direct_url", "locations", "stores",
})  # fmt: skip


def image_meta(body: dict[str, Any]) -> ImageMeta:
    """An ``ImageMeta`` from a Glance v2 image record (custom properties as strings)."""
    props = {k: str(v) for k, v in body.items() if k not in STANDARD_KEYS and v is not None}
    return ImageMeta(
        id=str(body["id"]),
        name=body.get("name") or "",
        status=body.get("status") or "",
        disk_format=body.get("disk_format"),
        container_format=body.get("container_format"),
        size=body.get("size"),
        checksum=body.get("checksum"),
        os_hash_algo=body.get("os_hash_algo"),
        os_hash_value=body.get("os_hash_value"),
        min_disk=int(body.get("min_disk") or 0),
        min_ram=int(body.get("min_ram") or 0),
        owner=body.get("owner"),
        properties=props,
    )


def _hasher(meta: ImageMeta) -> tuple[Any, str, str]:
    """(hash object, algorithm, expected hex digest) for the image's published hash."""
    if meta.os_hash_algo and meta.os_hash_value:
        algo, expected = meta.os_hash_algo, meta.os_hash_value
    elif meta.checksum:
        algo, expected = "md5", meta.checksum
    else:
        raise DriverError(f"image {meta.id} has no checksum to verify its data against")
    try:
        return hashlib.new(algo), algo, expected
    except ValueError:
        raise DriverError(f"image {meta.id}: unknown hash algorithm {algo!r}") from None


class ImageFetcher:
    """``Fetcher`` for the qemu driver over a service-user ``PasswordSession``."""

    def __init__(self, session: PasswordSession, timeout: float = 3600.0) -> None:
        self.session = session
        self.timeout = timeout

    def _url(self, image_id: str, suffix: str = "") -> str:
        try:
            return f"{self.session.endpoint('image')}/v2/images/{image_id}{suffix}"
        except AuthError as exc:
            raise DriverError(f"cannot fetch image {image_id}: {exc.message}") from exc

    def _get_meta(self, image_id: str) -> ImageMeta:
        url = self._url(image_id)
        for attempt in (1, 2):
            try:
                with self.session.client() as client:
                    response = client.get(url, headers=self.session.headers())
            except AuthError as exc:
                raise DriverError(f"cannot fetch image {image_id}: {exc.message}") from exc
            except httpx.HTTPError as exc:
                raise DriverError(f"cannot reach the image service at {url}: {exc}") from exc
            if response.status_code == 401 and attempt == 1:
                self.session.invalidate()  # NOTE: expired or revoked; log in once more
                continue
            break
        if response.status_code == 404:
            raise DriverError(f"image {image_id} does not exist in the image service")
        if not response.is_success:
            raise DriverError(
                f"reading image {image_id} failed: HTTP {response.status_code}: {reason(response)}"
            )
        meta = image_meta(response.json())
        if meta.status != "active":
            raise DriverError(f"image {image_id} is {meta.status}, not active: it has no data")
        return meta

    def _download(self, meta: ImageMeta, dest: Path) -> int:
        hasher, algo, expected = _hasher(meta)
        url, size = self._url(meta.id, "/file"), 0
        try:
            with (
                self.session.client(self.timeout) as client,
                client.stream("GET", url, headers=self.session.headers()) as response,
            ):
                if not response.is_success:
                    response.read()
                    raise DriverError(
                        f"downloading image {meta.id} failed: HTTP {response.status_code}: "
                        f"{reason(response)}"
                    )
                with open(dest, "wb") as f:
                    for chunk in response.iter_bytes(CHUNK):
                        hasher.update(chunk)
                        f.write(chunk)
                        size += len(chunk)
        except (httpx.HTTPError, AuthError) as exc:
            raise DriverError(f"downloading image {meta.id} from {url} failed: {exc}") from exc
        if hasher.hexdigest() != expected:
            raise DriverError(
                f"image {meta.id} failed verification: {algo} is {hasher.hexdigest()}, "
                f"the image service says {expected}"
            )
        return size

    def __call__(self, image_id: str, dest: Path) -> ImageMeta:
        """Write image ``image_id``'s verified data to ``dest``; its record."""
        meta = self._get_meta(image_id)
        size = self._download(meta, dest)
        LOG.info("fetched image %s (%s, %d bytes, verified)", image_id, meta.disk_format, size)
        return meta


__all__ = ["ImageFetcher", "image_meta"]
