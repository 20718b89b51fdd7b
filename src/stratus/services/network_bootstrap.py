"""First-start set-up of networking: the shared ``private`` network so ``networks: auto`` works."""

from __future__ import annotations

from stratus.common.config import Config
from stratus.db.session import Database


def run(db: Database, cfg: Config) -> None:
    """Idempotent."""
