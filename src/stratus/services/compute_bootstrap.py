"""First-start set-up of compute: the guide's default flavors (m1.tiny … m1.xlarge)."""

from __future__ import annotations

from stratus.common.config import Config
from stratus.db.session import Database


def run(db: Database, cfg: Config) -> None:
    """Idempotent."""
