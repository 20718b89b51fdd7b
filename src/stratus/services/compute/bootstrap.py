"""First-start set-up of compute: the guide's default flavors (m1.tiny … m1.xlarge)."""

from __future__ import annotations

import logging

from stratus.common.config import Config
from stratus.db.session import Database
from stratus.services.compute import flavors

LOG = logging.getLogger(__name__)


def run(db: Database, cfg: Config) -> None:
    """Create the default flavors if there are none yet. Idempotent."""
    with db.write() as session:
        created = flavors.bootstrap(session)
    if created:
        LOG.info("created %d default flavors", created)
