"""Instance actions (``os-instance-actions``): one row per user request, events per step.

The API records the action (name, request id, user, project) in the transaction that changes
the instance; compute agents add events to it through the conductor, keyed by request id.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.db.models.compute import InstanceAction, InstanceActionEvent


def record(
    session: Session,
    instance_uuid: str,
    action: str,
    request_id: str,
    user_id: str | None,
    project_id: str | None,
) -> InstanceAction:
    """Start an action (``message`` stays None until something fails)."""
    now = clock.utcnow()
    row = InstanceAction(
        action=action,
        instance_uuid=instance_uuid,
        request_id=request_id,
        user_id=user_id,
        project_id=project_id,
        start_time=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def list_actions(
    session: Session,
    instance_uuid: str,
    limit: int | None = None,
    marker: InstanceAction | None = None,
    changes_since: dt.datetime | None = None,
    changes_before: dt.datetime | None = None,
) -> list[InstanceAction]:
    """Newest first (``start_time`` then id, descending)."""
    query = sa.select(InstanceAction).where(InstanceAction.instance_uuid == instance_uuid)
    changed = sa.func.coalesce(InstanceAction.updated_at, InstanceAction.start_time)
    if changes_since is not None:
        query = query.where(changed >= changes_since)
    if changes_before is not None:
        query = query.where(changed <= changes_before)
    if marker is not None:
        query = query.where(
            sa.or_(
                InstanceAction.start_time < marker.start_time,
                sa.and_(
                    InstanceAction.start_time == marker.start_time,
                    InstanceAction.id < marker.id,
                ),
            )
        )
    query = query.order_by(InstanceAction.start_time.desc(), InstanceAction.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def get_by_request_id(
    session: Session, instance_uuid: str, request_id: str
) -> InstanceAction | None:
    return session.scalar(
        sa.select(InstanceAction)
        .where(
            InstanceAction.instance_uuid == instance_uuid,
            InstanceAction.request_id == request_id,
        )
        .order_by(InstanceAction.id.desc())
        .limit(1)
    )


def events(session: Session, action_id: int) -> list[InstanceActionEvent]:
    return list(
        session.scalars(
            sa.select(InstanceActionEvent)
            .where(InstanceActionEvent.action_id == action_id)
            .order_by(InstanceActionEvent.start_time, InstanceActionEvent.id)
        )
    )
