"""What happens when the message that starts a server action cannot be sent.

Every action commits its new task state (and its instance action) first, then casts to the
host or the conductor. When that cast fails (``MessagingError``: the broker is down, the
publish deadline passed) nobody will ever work on the task, so :func:`reverting`:

1. puts the task state back to what it was before, compare-and-set: only if the row still
   carries the task state the action set (something else may have moved it on meanwhile),
   and runs the action's ``undo`` for any other change it made (a migration's status);
2. adds an ``Error`` event to the request's instance action (Nova's ``result: Error``; the
   bus's own words go into the event's traceback, which only admins see);
3. raises ``ServiceUnavailable``: the caller gets a 503 that says nothing was done.

If the message did leave (the error came after the broker had it) the host finds the task
state changed back; its handlers check the state they expect, as for any stale message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.common.context import RequestContext
from stratus.db import retry
from stratus.db.models.compute import Instance
from stratus.db.repositories.compute import action_events, server_refs
from stratus.db.repositories.compute import instances as repo
from stratus.db.session import Database

LOG = logging.getLogger(__name__)

Undo = Callable[[Session, Instance], None]


Target = Literal["compute", "conductor"]
_SERVICE_NAMES = {"compute": "compute service", "conductor": "conductor"}


def unreachable(target: Target) -> exceptions.ServiceUnavailable:
    """The 503 of an action whose message could not be sent."""
    return exceptions.ServiceUnavailable(
        f"The {_SERVICE_NAMES[target]} could not be reached; nothing was done. Try again later."
    )


def event_name(target: Target) -> str:
    """The instance-action event of a failed cast: ``api_cast_to_compute`` …"""
    return f"api_cast_to_{target}"


def record_error(
    session: Session, ctx: RequestContext, uuid: str, action: str, event: str, details: str
) -> None:
    """An ``Error`` event on the instance action of ``ctx``'s request (made if missing)."""
    row = action_events.ensure_action(
        session, uuid, ctx.request_id, action, ctx.user_id, ctx.project_id
    )
    action_events.finish_event(session, row, event, action_events.ERROR, details)


def migration_back(session: Session, uuid: str, status: str) -> None:
    """Undo for confirm/revert: the newest migration in ``status`` is ``finished`` again."""
    row = server_refs.latest_migration(session, uuid, (status,), lock=True)
    if row is not None:
        row.status = "finished"


@contextmanager
def reverting(
    db: Database,
    ctx: RequestContext,
    uuid: str,
    *,
    action: str,
    set_task_state: str | None,
    previous_task_state: str | None,
    target: Target = "compute",
    undo: Undo | None = None,
) -> Iterator[None]:
    """Run the block's casts; on ``MessagingError`` revert (see the module docstring)."""
    try:
        yield
    except exceptions.MessagingError as error:
        details = error.message
        LOG.error("could not reach the %s for %s of instance %s: %s",
                  target, action, uuid, error.message)  # fmt: skip

        def revert() -> None:
            with db.write() as session:
                row = repo.get(session, uuid, lock=True)
                if row is not None and row.task_state == set_task_state:
                    row.task_state = previous_task_state
                    if undo is not None:
                        undo(session, row)
                    row.updated_at = clock.utcnow()
                if row is not None:
                    record_error(session, ctx, uuid, action, event_name(target), details)

        retry.retry_transaction(revert, what=f"revert of {action} on {uuid}")
        raise unreachable(target) from error
