"""The image API process's own background work: reaping uploads nobody finishes.

``stratus api`` and ``stratus up`` start it beside the image API; see
:mod:`stratus.services.image.stale_uploads`.
"""

from __future__ import annotations

import logging

from stratus.cmd.service import RunningService
from stratus.common.config import Config
from stratus.db.session import Database
from stratus.image.stores.filesystem import FilesystemStore
from stratus.services.image import stale_uploads

LOG = logging.getLogger(__name__)


def start(cfg: Config, db: Database) -> RunningService:
    """Every ``stale_uploads.REAP_INTERVAL`` seconds (first at once): images ``saving`` with no
    progress for ``[image] upload_timeout`` seconds → ``killed``, stale staged files removed."""
    service = RunningService("stratus-image-upkeep")
    timeout = cfg.image.upload_timeout
    if timeout <= 0:
        LOG.info("[image] upload_timeout is %d: interrupted uploads are never reaped", timeout)
        return service
    store = FilesystemStore(cfg.image.filesystem_store_datadir)
    service.every(
        "stale-uploads",
        stale_uploads.REAP_INTERVAL,
        lambda: stale_uploads.reap(db, store, timeout),
    )
    return service
