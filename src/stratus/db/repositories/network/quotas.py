"""Per-project networking quota rows (in the shared ``quotas`` table)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.db.models.compute import Quota


def projects_with_limits(session: Session, resources: Sequence[str], exclude: str) -> list[str]:
    return sorted(
        set(
            session.scalars(
                sa.select(Quota.project_id).where(
                    Quota.resource.in_(list(resources)), Quota.project_id != exclude
                )
            )
        )
    )


def delete_limits(session: Session, project_id: str, resources: Sequence[str]) -> None:
    session.execute(
        sa.delete(Quota).where(Quota.project_id == project_id, Quota.resource.in_(list(resources)))
    )
