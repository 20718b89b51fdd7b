"""Image data: streamed upload with hashing, size cap and format inspection; ranged download.

An upload moves the image queued → saving (compare-and-set, so a second upload gets 409), streams
the body into the store's staging area in bounded chunks (never the whole image in memory) while
computing md5 (``checksum``) and sha512 (``os_hash_value``), inspects the staged file
(``stratus.image.formats``), commits it and moves saving → active. Any failure — too large, over
the owner's quota (``quotas``), bad format, client gone, task cancelled — discards the
staged data and puts the image back to queued.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import ImageSection
from stratus.db.repositories import images as repo
from stratus.image import formats
from stratus.image.store import StagedData
from stratus.services.image import quotas
from stratus.services.image.images import ImageService

LOG = logging.getLogger(__name__)

HASH_ALGO = "sha512"
WRITE_BATCH = 1024 * 1024


@dataclasses.dataclass
class _Upload:
    """One upload in flight: where the bytes go and what has been seen so far."""

    image_id: str
    disk_format: str
    staged: StagedData
    owner: str | None
    cap: int  # [image] image_size_cap
    room: int | None  # what the owner's image_size_total leaves (None: unlimited)
    md5: hashlib._Hash = dataclasses.field(
        default_factory=lambda: hashlib.md5(usedforsecurity=False)
    )
    sha: hashlib._Hash = dataclasses.field(default_factory=lambda: hashlib.new(HASH_ALGO))
    size: int = 0

    def write(self, data: bytes) -> None:
        self.staged.write(data)
        self.md5.update(data)
        self.sha.update(data)

    def check(self, size: int, settings: ImageSection) -> None:
        """413 if ``size`` bytes are more than one image or its owner's quota may hold."""
        if size > self.cap:
            raise _too_large(self.cap)
        if self.room is not None and size > self.room and self.owner is not None:
            used = settings.image_size_total * quotas.MIB - self.room
            raise quotas.storage_full(self.owner, settings, used, size)


@dataclasses.dataclass(frozen=True)
class Download:
    """What to send for ``GET /v2/images/{id}/file``; ``chunks`` is None when there is no data."""

    chunks: Iterator[bytes] | None
    total: int = 0
    start: int = 0
    end: int = -1
    partial: bool = False
    checksum: str | None = None


class DataApi(ImageService):
    """Upload and download of one image's bytes."""

    async def upload(self, image_id: str, body: AsyncIterator[bytes], length: int | None) -> None:
        """Store ``body`` as the image's data. ``length`` is the declared Content-Length, if any."""
        upload = await anyio.to_thread.run_sync(self._begin, image_id)
        done = False
        try:
            if length is not None:
                upload.check(length, self.settings)
            await self._receive(upload, body)
            inspection = await anyio.to_thread.run_sync(self._inspect, upload)
            await anyio.to_thread.run_sync(self._finish, upload, inspection)
            done = True
        finally:
            if not done:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._abort, upload)

    async def _receive(self, upload: _Upload, body: AsyncIterator[bytes]) -> None:
        batch = bytearray()
        async for chunk in body:
            upload.size += len(chunk)
            upload.check(upload.size, self.settings)
            batch += chunk
            if len(batch) >= WRITE_BATCH:
                await anyio.to_thread.run_sync(upload.write, bytes(batch))
                batch.clear()
        if batch:
            await anyio.to_thread.run_sync(upload.write, bytes(batch))
        await anyio.to_thread.run_sync(upload.staged.close)

    def _begin(self, image_id: str) -> _Upload:
        with self.db.write() as session:
            row, member = self.load(session, image_id, lock=True)
            self.require("upload_image", row, member)
            if row.status != "queued":
                raise exceptions.Conflict(
                    f"Image status transition from {row.status} to saving is not allowed"
                )
            if not row.disk_format or not row.container_format:
                raise exceptions.Invalid(
                    "Properties disk_format, container_format must be set prior to saving data."
                )
            disk_format, owner = row.disk_format, row.owner
            room = quotas.check_upload_start(session, self.settings, owner, image_id)
            if not repo.set_status(session, image_id, "queued", "saving"):
                raise exceptions.Conflict(f"Image {image_id} is already being uploaded.")
        try:
            staged = self.store.stage(image_id)
        except BaseException:
            self._restore(image_id)
            raise
        return _Upload(image_id, disk_format, staged, owner, self.settings.image_size_cap, room)

    def _inspect(self, upload: _Upload) -> formats.Inspection:
        qemu = formats.QemuImg(self.settings.qemu_img, float(self.settings.inspect_timeout))
        try:
            return formats.inspect(Path(upload.staged.path), upload.disk_format, qemu)
        except exceptions.Invalid as error:
            LOG.warning("upload of image %s rejected: %s", upload.image_id, error.message)
            raise

    def _finish(self, upload: _Upload, inspection: formats.Inspection) -> None:
        upload.staged.commit()
        try:
            with self.db.write() as session:
                quotas.check_upload_end(
                    session, self.settings, upload.owner, upload.image_id, upload.size
                )
                ok = self._activate(session, upload, inspection)
        except exceptions.PayloadTooLarge:
            self.store.delete(upload.image_id)
            raise
        if not ok:
            self.store.delete(upload.image_id)
            raise exceptions.Gone(
                f"Image {upload.image_id} could not be found after upload. "
                "The image may have been deleted during the upload."
            )
        LOG.info(
            "image %s is active (%d bytes, %s)", upload.image_id, upload.size, inspection.format
        )

    @staticmethod
    def _activate(session: Session, upload: _Upload, inspection: formats.Inspection) -> bool:
        """saving → active with what the upload found; False if the image is gone or moved."""
        return repo.set_status(
            session,
            upload.image_id,
            "saving",
            "active",
            size=upload.size,
            virtual_size=inspection.virtual_size,
            checksum=upload.md5.hexdigest(),
            os_hash_algo=HASH_ALGO,
            os_hash_value=upload.sha.hexdigest(),
        )

    def _abort(self, upload: _Upload) -> None:
        upload.staged.abort()
        self._restore(upload.image_id)

    def _restore(self, image_id: str) -> None:
        with self.db.write() as session:
            repo.set_status(session, image_id, "saving", "queued")

    def download(self, image_id: str, first: int | None, last: int | None) -> Download:
        """The bytes to send; ``first``/``last`` are an inclusive byte range (either may be None;
        ``first`` None with ``last`` set means "the last ``last`` bytes")."""
        with self.db.read() as session:
            row, member = self.load(session, image_id)
            self.require("download_image", row, member)
            if row.status == "deactivated" and not self.is_admin:
                raise exceptions.Forbidden(
                    "The requested image has been deactivated. Image data download is forbidden."
                )
            has_data, checksum = row.status in ("active", "deactivated"), row.checksum
        total = self.store.size(image_id) if has_data else None
        if total is None:
            return Download(chunks=None)
        start, end, partial = _byte_range(first, last, total)
        try:
            chunks = self.store.read(image_id, start, end - start + 1)
        except exceptions.NotFound:
            return Download(chunks=None)
        return Download(chunks, total, start, end, partial, None if partial else checksum)


def _byte_range(first: int | None, last: int | None, total: int) -> tuple[int, int, bool]:
    if first is None and last is None:
        return 0, total - 1, False
    if first is None:
        assert last is not None
        if last == 0:
            raise exceptions.RangeNotSatisfiable("Requested range not satisfiable.")
        return max(0, total - last), total - 1, True
    if first >= total or (last is not None and last < first):
        raise exceptions.RangeNotSatisfiable("Requested range not satisfiable.")
    end = total - 1 if last is None else min(last, total - 1)
    return first, end, True


def _too_large(cap: int) -> exceptions.PayloadTooLarge:
    return exceptions.PayloadTooLarge(f"The incoming image is too large: the limit is {cap} bytes.")
