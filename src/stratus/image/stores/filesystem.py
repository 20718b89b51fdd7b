"""The filesystem store: one file per image under ``[image] filesystem_store_datadir``.

Like ``/var/lib/glance/images/<id>``. Uploads are staged in a hidden file in the same directory
(``.<id>.<random>.part``, mode 0600) and renamed over the final name, so a reader sees either the
old data, or the whole new data, never a partial file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, ClassVar

from stratus.common import exceptions, ids
from stratus.image.store import CHUNK_SIZE

LOG = logging.getLogger(__name__)

FILE_MODE = 0o600


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FilesystemStaged:
    """A staged upload: a hidden temporary file renamed into place on commit."""

    def __init__(self, final: Path) -> None:
        self._final = final
        self._path = final.with_name(f".{final.name}.{secrets.token_hex(6)}.part")
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self._done = False

    @property
    def path(self) -> Path:
        return self._path

    def write(self, chunk: bytes) -> None:
        if self._file is None:
            raise RuntimeError("write after close")
        self._file.write(chunk)

    def close(self) -> None:
        if self._file is None:
            return
        f, self._file = self._file, None
        try:
            f.flush()
            os.fsync(f.fileno())
        finally:
            f.close()

    def commit(self) -> None:
        self.close()
        os.replace(self._path, self._final)
        self._done = True
        _fsync_dir(self._final.parent)

    def abort(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if not self._done:
            with contextlib.suppress(FileNotFoundError):
                self._path.unlink()
            self._done = True


class FilesystemStore:
    """Image data as plain files in one directory (created on first use, mode 0700)."""

    name: ClassVar[str] = "file"

    def __init__(self, datadir: str | Path) -> None:
        self.datadir = Path(datadir)

    def _ensure_dir(self) -> None:
        self.datadir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, image_id: str) -> Path:
        # NOTE: ids reach here from URLs; only UUIDs may become file names (no "../").
        if not ids.is_uuid_like(image_id):
            raise exceptions.NotFound(f"No image data for {image_id}.")
        return self.datadir / image_id

    def stage(self, image_id: str) -> FilesystemStaged:
        self._ensure_dir()
        return FilesystemStaged(self._path(image_id))

    def size(self, image_id: str) -> int | None:
        try:
            return self._path(image_id).stat().st_size
        except (FileNotFoundError, exceptions.NotFound):
            return None

    def read(
        self,
        image_id: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Iterator[bytes]:
        try:
            f = self._path(image_id).open("rb")
        except FileNotFoundError:
            raise exceptions.NotFound(f"No image data for {image_id}.") from None
        return _chunks(f, offset, length, chunk_size)

    def delete(self, image_id: str) -> None:
        try:
            self._path(image_id).unlink()
        except (FileNotFoundError, exceptions.NotFound):
            return
        LOG.info("deleted data of image %s", image_id)

    def _staged_files(self, image_id: str = "*") -> Iterator[tuple[str, Path, float]]:
        """(image id, path, mtime) of each staged file (``.<id>.<random>.part``)."""
        if not self.datadir.is_dir():
            return
        for path in self.datadir.glob(f".{image_id}.*.part"):
            found = path.name[1:].split(".", 1)[0]
            if not ids.is_uuid_like(found):
                continue
            try:
                yield found, path, path.stat().st_mtime
            except FileNotFoundError:
                continue

    def staged_uploads(self) -> dict[str, float]:
        newest: dict[str, float] = {}
        for image_id, _path, mtime in self._staged_files():
            newest[image_id] = max(mtime, newest.get(image_id, 0.0))
        return newest

    def discard_staged(self, image_id: str, older_than: float) -> int:
        self._path(image_id)  # NOTE: only UUIDs may become glob patterns
        removed = 0
        for _id, path, mtime in self._staged_files(image_id):
            if mtime < older_than:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        return removed


def _chunks(f: BinaryIO, offset: int, length: int | None, chunk_size: int) -> Iterator[bytes]:
    with f:
        f.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            want = chunk_size if remaining is None else min(chunk_size, remaining)
            data = f.read(want)
            if not data:
                return
            if remaining is not None:
                remaining -= len(data)
            yield data
