#!/usr/bin/env python3
"""Regenerate an UNRELEASED Alembic migration from the current models.

    .venv/bin/python tools/regen-migration.py 0004 "compute and network tables"

Deletes ``versions/<rev>_*.py`` and autogenerates it again against a scratch SQLite database
migrated to the revision before it, so it always equals "previous schema -> current models".
Never use it on a migration that has been released (landed in a tagged version): write a new
migration instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from stratus.db import migrate
from stratus.db.engine import create_engine

VERSIONS = migrate.MIGRATIONS / "versions"


def main() -> int:
    rev, message = sys.argv[1], sys.argv[2]
    old = list(VERSIONS.glob(f"{rev}_*.py"))
    down = None
    for path in old:
        text = path.read_text()
        down = text.split("down_revision = ")[1].split("\n")[0].strip().strip("'\"")
        path.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/scratch.sqlite")
        cfg = migrate._alembic_config(engine)
        command.upgrade(cfg, down or "head")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev)
        engine.dispose()
    new = next(VERSIONS.glob(f"{rev}_*.py"))
    root = Path(__file__).resolve().parents[1]
    subprocess.run([str(root / ".venv/bin/ruff"), "format", "-q", str(new)], check=False)
    print(f"regenerated {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
