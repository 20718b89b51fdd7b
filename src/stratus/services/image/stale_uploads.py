"""Uploads nobody finishes: images stuck in ``saving`` and staged data left behind.

An upload that fails while its API process lives puts the image back to ``queued`` and discards
the staged data (``data.py``). When the process dies mid-upload (kill -9, power loss) the image
stays ``saving`` and its partial file stays in the staging area. :func:`reap` — every
``REAP_INTERVAL`` seconds in the process serving the image API — finds, after
``[image] upload_timeout`` seconds with no new data (neither the record nor any staged file of
the image changed), such images and sets them ``killed`` (Glance's status for an image whose
upload failed: the owner deletes it and uploads again), and removes staged files that no upload
has written to for that long.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time

from stratus.common import clock
from stratus.db.repositories import images as repo
from stratus.db.session import Database
from stratus.image.store import ImageStore

LOG = logging.getLogger(__name__)

REAP_INTERVAL = 60


@dataclasses.dataclass(frozen=True)
class Reaped:
    """What one pass did (for logs and tests)."""

    killed: list[str]
    discarded: list[str]  # image ids whose stale staged files went


def is_stale(staged_change: float | None, cutoff: float) -> bool:
    """Whether an upload whose record is older than the timeout made no progress since
    ``cutoff`` (epoch seconds): it has no staged file, or none written to after it."""
    return staged_change is None or staged_change < cutoff


def reap(db: Database, store: ImageStore, timeout: int, now: float | None = None) -> Reaped:
    """One pass; ``timeout`` seconds without progress (0 or less: nothing is reaped)."""
    if timeout <= 0:
        return Reaped([], [])
    cutoff = (time.time() if now is None else now) - timeout
    staged = store.staged_uploads()
    before = clock.utcnow() - dt.timedelta(seconds=timeout)
    with db.read() as session:
        saving = repo.unchanged_since(session, "saving", before)
    killed = []
    for image_id in saving:
        if not is_stale(staged.get(image_id), cutoff):
            continue  # NOTE: data still arrives: a slow upload, not a dead one
        with db.write() as session:
            if not repo.set_status(session, image_id, "saving", "killed"):
                continue  # finished or deleted meanwhile
        killed.append(image_id)
        LOG.warning(
            "image %s killed: its upload made no progress for %d s (the process receiving it "
            "may have stopped)",
            image_id,
            timeout,
        )
    discarded = [i for i, mtime in staged.items() if mtime < cutoff]
    for image_id in discarded:
        store.discard_staged(image_id, cutoff)
        LOG.info("removed stale staged data of image %s", image_id)
    return Reaped(killed, discarded)
