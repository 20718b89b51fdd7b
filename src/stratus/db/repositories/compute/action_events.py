"""Events of instance actions (``os-instance-actions``), written for compute agents.

The API records the action row (name, request id, user, project) when a request arrives; each
step a service performs for it is an event (``compute__do_build_and_run_instance`` …) with start
and finish times and a result (``Success``/``Error``). A failed event marks its action's
``message`` "Error", as Nova does.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.db.models.compute import InstanceAction, InstanceActionEvent

ERROR = "Error"


def find_action(session: Session, instance_uuid: str, request_id: str) -> InstanceAction | None:
    return session.scalars(
        sa.select(InstanceAction)
        .where(
            InstanceAction.instance_uuid == instance_uuid,
            InstanceAction.request_id == request_id,
        )
        .order_by(InstanceAction.id.desc())
        .limit(1)
    ).one_or_none()


def ensure_action(
    session: Session,
    instance_uuid: str,
    request_id: str,
    action: str,
    user_id: str | None,
    project_id: str | None,
) -> InstanceAction:
    """The action of ``request_id``, created when the request did not record one."""
    row = find_action(session, instance_uuid, request_id)
    if row is None:
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


def start_event(session: Session, action: InstanceAction, event: str, host: str | None) -> None:
    now = clock.utcnow()
    session.add(InstanceActionEvent(action_id=action.id, event=event, start_time=now, host=host))
    action.updated_at = now
    session.flush()


def finish_event(
    session: Session,
    action: InstanceAction,
    event: str,
    result: str,
    traceback: str | None,
) -> None:
    """Finish the newest unfinished event of that name (or record a finished one)."""
    now = clock.utcnow()
    row = session.scalars(
        sa.select(InstanceActionEvent)
        .where(
            InstanceActionEvent.action_id == action.id,
            InstanceActionEvent.event == event,
            InstanceActionEvent.finish_time.is_(None),
        )
        .order_by(InstanceActionEvent.id.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        row = InstanceActionEvent(action_id=action.id, event=event, start_time=now)
        session.add(row)
    row.finish_time, row.result, row.traceback = now, result, traceback
    action.updated_at = now
    if result == ERROR:
        action.message = ERROR
    session.flush()


def latest_action(session: Session, instance_uuid: str) -> InstanceAction | None:
    """The instance's newest action (the request whose work is being settled), if any."""
    return session.scalars(
        sa.select(InstanceAction)
        .where(InstanceAction.instance_uuid == instance_uuid)
        .order_by(InstanceAction.id.desc())
        .limit(1)
    ).one_or_none()
