"""Task base (Nova's conductor ``TaskBase``): ``execute`` runs the steps; when one raises,
``rollback`` undoes what was done so far and the error goes on to the caller.

Rollbacks must be idempotent and safe after a partial execute (each undo checks what exists).
Shared dependencies of every task travel in ``Services``.
"""

from __future__ import annotations

import abc
import dataclasses
import logging

from stratus.common import context
from stratus.common.config import Config
from stratus.db.repositories.compute import action_events
from stratus.db.session import Database
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.scheduler import SchedulerAPI

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Services:
    """What conductor tasks use: settings, the database and the RPC clients."""

    cfg: Config
    db: Database
    scheduler: SchedulerAPI
    compute: ComputeAPI


class Task(abc.ABC):
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def cfg(self) -> Config:
        return self.services.cfg

    @property
    def db(self) -> Database:
        return self.services.db

    def execute(self) -> None:
        try:
            self._execute()
        except Exception as error:
            LOG.info("%s failed (%s); rolling back", type(self).__name__, error)
            self.rollback(error)
            raise

    @abc.abstractmethod
    def _execute(self) -> None:
        """The steps."""

    def rollback(self, error: Exception) -> None:
        """Undo the steps done so far (default: nothing to undo)."""
        LOG.debug("%s has nothing to roll back after %r", type(self).__name__, error)


def record_event(instance_uuid: str, event: str, ok: bool, db: Database, host: str) -> None:
    """Add a finished conductor event to the action of the current request, if it has one."""
    ctx = context.current()
    if ctx is None or not ctx.user_id:
        return
    try:
        with db.write() as session:
            action = action_events.find_action(session, instance_uuid, ctx.request_id)
            if action is None:
                return
            action_events.start_event(session, action, event, host)
            result = "Success" if ok else action_events.ERROR
            action_events.finish_event(session, action, event, result, None)
    except Exception:
        LOG.exception("could not record event %s of %s", event, instance_uuid)
