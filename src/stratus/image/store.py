"""Where image data lives: the ``ImageStore`` plug-in interface (Glance's ``glance_store`` driver).

The image service is the only caller. An upload goes through a ``StagedData``: bytes are written
to a staging area the readers never see, inspected there, then ``commit`` makes them the image's
data in one atomic step, or ``abort`` throws them away. Implementations: ``stores/filesystem.py``.

Stores know nothing of image records, owners or status; they map an image id to bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, Protocol

CHUNK_SIZE = 64 * 1024


class StagedData(Protocol):
    """The data of one upload in progress. Not visible to readers until ``commit``."""

    @property
    def path(self) -> Path:
        """A local file holding everything written so far (format inspection reads it)."""
        ...

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``. Called from a worker thread, never concurrently for one upload."""
        ...

    def close(self) -> None:
        """Flush the data to stable storage; no ``write`` may follow. Idempotent."""
        ...

    def commit(self) -> None:
        """Replace the image's data with the staged bytes atomically (after ``close``)."""
        ...

    def abort(self) -> None:
        """Discard the staged bytes. Idempotent; a no-op after ``commit``."""
        ...


class ImageStore(Protocol):
    """Maps image ids to bytes. Every method may be called from any worker thread."""

    name: ClassVar[str]

    def stage(self, image_id: str) -> StagedData:
        """Start an upload for ``image_id``; existing data (if any) stays until ``commit``."""
        ...

    def size(self, image_id: str) -> int | None:
        """Bytes stored for ``image_id``, or None when there is no data."""
        ...

    def read(
        self,
        image_id: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Iterator[bytes]:
        """The bytes ``[offset, offset + length)`` in chunks of at most ``chunk_size``.

        Raises ``NotFound`` before yielding anything when there is no data. The iterator holds an
        open file; closing it (or exhausting it) releases the file.
        """
        ...

    def delete(self, image_id: str) -> None:
        """Remove the data of ``image_id``. Idempotent: no data is not an error."""
        ...

    def staged_uploads(self) -> dict[str, float]:
        """Image id → newest modification time (epoch seconds) of its staged, uncommitted data:
        what uploads in progress, or interrupted ones, left in the staging area."""
        ...

    def discard_staged(self, image_id: str, older_than: float) -> int:
        """Remove staged data of ``image_id`` not modified since ``older_than``; how many."""
        ...
