"""What hangs off a server: metadata, tags, addresses and the instance-action history.

Metadata and tags change only while the instance is at rest in a usable state (Nova's
``check_instance_state``: active, paused, suspended, stopped — 409 otherwise) and not locked;
the metadata count is limited by the ``metadata_items`` quota (403).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.db.models.compute import InstanceAction, InstanceActionEvent
from stratus.db.repositories.compute import instance_actions
from stratus.db.repositories.compute import instances as repo
from stratus.objects import states as s
from stratus.services.compute import server_status
from stratus.services.compute import validation as check
from stratus.services.compute.servers import ServerApi

MAX_TAGS = 50
_AT_REST = (s.ACTIVE, s.PAUSED, s.SUSPENDED, s.STOPPED)


def _check_changeable(vm_state: str, task_state: str | None, uuid: str, what: str) -> None:
    server_status.check(what, uuid, vm_state, task_state, _AT_REST, None)


# -- metadata --------------------------------------------------------------------------------
def get_metadata(api: ServerApi, uuid: str) -> dict[str, str]:
    with api.db.read() as session:
        api.load(session, uuid)
        return repo.metadata(session, uuid)


def set_metadata(api: ServerApi, uuid: str, items: dict[str, str], replace: bool) -> dict[str, str]:
    """Merge ``items`` (or replace everything with them); the resulting metadata."""
    with api.db.write() as session:
        row = api.load(session, uuid, lock=True)
        api.check_lock(row)
        _check_changeable(row.vm_state, row.task_state, uuid, "update metadata")
        result = dict(items) if replace else {**repo.metadata(session, uuid), **items}
        check.metadata_items(session, api.cfg, row.project_id, result)
        repo.set_metadata(session, uuid, items, replace)
        row.updated_at = clock.utcnow()
        return result


def get_metadata_item(api: ServerApi, uuid: str, key: str) -> str:
    value = get_metadata(api, uuid).get(key)
    if value is None:
        raise exceptions.NotFound("Metadata item was not found")
    return value


def delete_metadata_item(api: ServerApi, uuid: str, key: str) -> None:
    with api.db.write() as session:
        row = api.load(session, uuid, lock=True)
        api.check_lock(row)
        _check_changeable(row.vm_state, row.task_state, uuid, "delete metadata")
        if not repo.delete_metadata_item(session, uuid, key):
            raise exceptions.NotFound("Metadata item was not found")
        row.updated_at = clock.utcnow()


# -- tags ------------------------------------------------------------------------------------
def get_tags(api: ServerApi, uuid: str) -> list[str]:
    with api.db.read() as session:
        api.load(session, uuid)
        return repo.tags(session, uuid)


def change_tags(
    api: ServerApi, uuid: str, add: list[str], remove: list[str] | None = None
) -> tuple[list[str], bool]:
    """Add ``add`` and drop ``remove`` (None: drop every other tag). Returns the tags and
    whether anything was added that was not there before."""
    with api.db.write() as session:
        row = api.load(session, uuid, lock=True)
        api.check_lock(row)
        if row.vm_state not in (*_AT_REST, s.SHELVED, s.SHELVED_OFFLOADED):
            raise exceptions.Conflict(
                f"Cannot update tags of instance {uuid} while it is in vm_state {row.vm_state}"
            )
        current = repo.tags(session, uuid)
        kept = [] if remove is None else [t for t in current if t not in remove]
        wanted = sorted(set(kept) | set(add))
        if len(wanted) > MAX_TAGS:
            raise exceptions.Invalid(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        repo.set_tags(session, uuid, wanted)
        row.updated_at = clock.utcnow()
        return wanted, bool(set(add) - set(current))


# -- addresses -------------------------------------------------------------------------------
def addresses(api: ServerApi, uuid: str) -> list[repo.Address]:
    with api.db.read() as session:
        api.load(session, uuid)
        return repo.addresses(session, [uuid]).get(uuid, [])


# -- instance actions ------------------------------------------------------------------------
@dataclasses.dataclass
class ActionRecord:
    action: InstanceAction
    events: list[InstanceActionEvent]


def list_actions(
    api: ServerApi,
    uuid: str,
    limit: int | None = None,
    marker: str | None = None,
    changes_since: dt.datetime | None = None,
    changes_before: dt.datetime | None = None,
    read_deleted: bool = False,
) -> list[InstanceAction]:
    """Newest first; a deleted server's history is readable when ``read_deleted`` (2.21)."""
    with api.db.read() as session:
        _load_any(api, session, uuid, read_deleted)
        marker_row = None
        if marker is not None:
            marker_row = instance_actions.get_by_request_id(session, uuid, marker)
            if marker_row is None:
                raise exceptions.Invalid(f"Marker {marker} could not be found.")
        rows = instance_actions.list_actions(
            session, uuid, limit, marker_row, changes_since, changes_before
        )
        session.expunge_all()
        return rows


def get_action(
    api: ServerApi, uuid: str, request_id: str, read_deleted: bool = False
) -> ActionRecord:
    with api.db.read() as session:
        _load_any(api, session, uuid, read_deleted)
        row = instance_actions.get_by_request_id(session, uuid, request_id)
        if row is None:
            raise exceptions.NotFound(
                f"Action for request_id {request_id} on instance {uuid} not found"
            )
        record = ActionRecord(row, instance_actions.events(session, row.id))
        session.expunge_all()
        return record


def _load_any(api: ServerApi, session: Session, uuid: str, read_deleted: bool) -> None:
    row = repo.get(session, uuid, read_deleted=read_deleted)
    if row is None or (not api.is_admin and row.project_id != api.ctx.project_id):
        raise exceptions.NotFound(f"Instance {uuid} could not be found.")


# -- password (os-server-password) -----------------------------------------------------------
PASSWORD_KEY = "password"


def get_password(api: ServerApi, uuid: str) -> str:
    with api.db.read() as session:
        api.load(session, uuid)
        return repo.system_metadata(session, uuid).get(PASSWORD_KEY, "")


def clear_password(api: ServerApi, uuid: str) -> None:
    with api.db.write() as session:
        api.load(session, uuid, lock=True)
        repo.delete_system_metadata_item(session, uuid, PASSWORD_KEY)
