"""Instance rows as the conductor reads and writes them for compute agents and workflows.

``to_objects`` is the one place a row becomes a wire ``Instance``; ``instances.to_object``
(the API's module) delegates here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.db.models.compute import (
    Instance,
    InstanceFault,
    InstanceMetadata,
    InstanceSystemMetadata,
    RequestSpecRecord,
    ServerGroupMember,
)
from stratus.objects import states
from stratus.objects.flavor import Flavor
from stratus.objects.instance import Instance as InstanceObject
from stratus.objects.request_spec import RequestSpec

_FLAVOR_FIELDS = ("flavor", "old_flavor", "new_flavor")
_TIME_FIELDS = ("launched_at", "terminated_at")


def get(session: Session, uuid: str, *, lock: bool = False, read_deleted: bool = False) -> Instance:
    """The row, or ``NotFound`` (deleted rows only when ``read_deleted``)."""
    query = sa.select(Instance).where(Instance.uuid == uuid)
    if not read_deleted:
        query = query.where(Instance.deleted.is_(False))
    if lock and session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        raise exceptions.NotFound(f"Instance {uuid} could not be found.")
    return row


def _metadata(session: Session, uuids: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {u: {} for u in uuids}
    query = sa.select(
        InstanceMetadata.instance_uuid, InstanceMetadata.key, InstanceMetadata.value
    ).where(InstanceMetadata.instance_uuid.in_(uuids))
    for uuid, key, value in session.execute(query):
        found[uuid][key] = value
    return found


def _system_metadata(session: Session, uuids: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {u: {} for u in uuids}
    query = sa.select(
        InstanceSystemMetadata.instance_uuid,
        InstanceSystemMetadata.key,
        InstanceSystemMetadata.value,
    ).where(InstanceSystemMetadata.instance_uuid.in_(uuids))
    for uuid, key, value in session.execute(query):
        found[uuid][key] = value or ""
    return found


def to_objects(session: Session, rows: Iterable[Instance]) -> list[InstanceObject]:
    """Wire ``Instance`` objects for rows (metadata loaded in two queries for all of them)."""
    rows = list(rows)
    uuids = [r.uuid for r in rows]
    meta = _metadata(session, uuids) if uuids else {}
    system = _system_metadata(session, uuids) if uuids else {}
    return [_object(r, meta[r.uuid], system[r.uuid]) for r in rows]


def to_object(session: Session, row: Instance) -> InstanceObject:
    return to_objects(session, [row])[0]


def _object(row: Instance, meta: dict[str, str], system: dict[str, str]) -> InstanceObject:
    return InstanceObject(
        uuid=row.uuid,
        display_name=row.display_name,
        hostname=row.hostname,
        project_id=row.project_id,
        user_id=row.user_id,
        image_ref=row.image_ref,
        kernel_id=row.kernel_id,
        ramdisk_id=row.ramdisk_id,
        flavor=Flavor.model_validate(row.flavor),
        old_flavor=Flavor.model_validate(row.old_flavor) if row.old_flavor else None,
        new_flavor=Flavor.model_validate(row.new_flavor) if row.new_flavor else None,
        host=row.host,
        node=row.node,
        availability_zone=row.availability_zone,
        vm_state=row.vm_state,
        task_state=row.task_state,
        power_state=row.power_state,
        key_name=row.key_name,
        key_data=row.key_data,
        user_data=row.user_data,
        config_drive=row.config_drive,
        metadata=meta,
        system_metadata=system,
        launched_at=row.launched_at,
        created_at=row.created_at,
        security_groups=list(row.security_groups or []),
        deleted=row.deleted,
    )


def on_host(session: Session, host: str) -> list[Instance]:
    """Live instances whose ``host`` is ``host``, oldest first."""
    query = (
        sa.select(Instance)
        .where(Instance.host == host, Instance.deleted.is_(False))
        .order_by(Instance.created_at, Instance.uuid)
    )
    return list(session.scalars(query))


def _flavor_value(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    flavor = value if isinstance(value, Flavor) else Flavor.model_validate(value)
    return flavor.model_dump(mode="json")


def _time_value(value: object) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return clock.parse_isotime(value)
    raise exceptions.Invalid(f"expected an ISO 8601 time, got {value!r}")


def apply_values(row: Instance, values: Mapping[str, object]) -> None:
    """Set columns from ``values``; flavors also set the vcpus/memory/disk columns."""
    for key, value in values.items():
        if key in _FLAVOR_FIELDS:
            setattr(row, key, _flavor_value(value))
            if key == "flavor" and value is not None:
                flavor = Flavor.model_validate(_flavor_value(value))
                row.vcpus, row.memory_mb = flavor.vcpus, flavor.memory_mb
                row.root_gb, row.ephemeral_gb = flavor.root_gb, flavor.ephemeral_gb
        elif key in _TIME_FIELDS:
            setattr(row, key, _time_value(value))
        else:
            setattr(row, key, value)
    row.updated_at = clock.utcnow()


def check_task_state(row: Instance, expected: list[str | None] | None) -> None:
    """``Conflict`` unless the row's task state is one of ``expected`` (None: no check)."""
    if expected is not None and row.task_state not in expected:
        raise exceptions.Conflict(
            f"Conflict updating instance {row.uuid}. Expected task_state: {expected}. "
            f"Actual: {row.task_state}."
        )


def add_fault(
    session: Session, uuid: str, code: int, message: str, details: str = "", host: str | None = None
) -> None:
    session.add(
        InstanceFault(
            instance_uuid=uuid,
            code=code,
            message=message[:65535],
            details=details,
            host=host,
            created_at=clock.utcnow(),
        )
    )
    session.flush()


def set_error(
    session: Session, row: Instance, message: str, details: str = "", code: int = 500
) -> None:
    """vm_state ERROR, task_state None, and a fault that says why."""
    row.vm_state = states.ERROR
    row.task_state = None
    row.updated_at = clock.utcnow()
    add_fault(session, row.uuid, code, message, details, row.host)


def soft_delete(session: Session, row: Instance) -> None:
    """Mark the row deleted the way the API lists it (``changes-since`` still sees it) and
    drop its server group memberships."""
    now = clock.utcnow()
    row.deleted = True
    row.deleted_at = now
    row.terminated_at = row.terminated_at or now
    row.vm_state = states.DELETED
    row.task_state = None
    row.updated_at = now
    session.execute(sa.delete(ServerGroupMember).where(ServerGroupMember.instance_uuid == row.uuid))
    session.flush()


def save_request_spec(session: Session, uuid: str, spec: RequestSpec) -> None:
    """Keep the spec an instance was (re)scheduled with."""
    text = spec.model_dump_json()
    row = session.get(RequestSpecRecord, uuid)
    if row is None:
        session.add(RequestSpecRecord(instance_uuid=uuid, spec=text, updated_at=clock.utcnow()))
    else:
        row.spec, row.updated_at = text, clock.utcnow()
    session.flush()


def load_request_spec(session: Session, uuid: str) -> RequestSpec | None:
    row = session.get(RequestSpecRecord, uuid)
    return RequestSpec.model_validate_json(row.spec) if row is not None else None


def _last_change() -> sa.ColumnElement[dt.datetime]:
    return sa.func.coalesce(Instance.updated_at, Instance.created_at)


def unchanged_since(session: Session, before: dt.datetime, limit: int = 500) -> list[Instance]:
    """Live instances building or in a task whose row has not changed since ``before``."""
    query = (
        sa.select(Instance)
        .where(
            Instance.deleted.is_(False),
            sa.or_(Instance.vm_state == states.BUILDING, Instance.task_state.is_not(None)),
            _last_change() < before,
        )
        .order_by(_last_change(), Instance.uuid)
        .limit(limit)
    )
    return list(session.scalars(query))


def take_over(
    session: Session,
    uuid: str,
    vm_state: str,
    task_state: str | None,
    before: dt.datetime,
    values: Mapping[str, object] | None = None,
) -> bool:
    """Compare-and-set for recovering abandoned work: apply ``values`` (column: value) (and a new
    ``updated_at``) only while the row is still in ``vm_state``/``task_state`` and unchanged
    since ``before``. False: someone else (a conductor, the agent) moved it first."""
    current_task = (
        Instance.task_state.is_(None) if task_state is None else Instance.task_state == task_state
    )
    stmt = (
        sa.update(Instance)
        .where(
            Instance.uuid == uuid,
            Instance.deleted.is_(False),
            Instance.vm_state == vm_state,
            current_task,
            _last_change() < before,
        )
        .values({"updated_at": clock.utcnow(), **(values or {})})
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(session.execute(stmt), "rowcount", 0))


def take_for_scheduling(session: Session, uuid: str) -> bool:
    """Compare-and-set at the start of a build: mark the instance as being scheduled (its
    ``scheduled_at``) only while it is building, in ``scheduling``, on no host and not taken
    before. False for a build message delivered again (see ``conductor/tasks/build.py``)."""
    now = clock.utcnow()
    stmt = (
        sa.update(Instance)
        .where(
            Instance.uuid == uuid,
            Instance.deleted.is_(False),
            Instance.vm_state == states.BUILDING,
            Instance.task_state == states.SCHEDULING,
            Instance.host.is_(None),
            Instance.scheduled_at.is_(None),
        )
        .values(scheduled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(session.execute(stmt), "rowcount", 0))
