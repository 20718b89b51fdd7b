"""The servers service (Nova's ``compute/api.py``, small): who may see which instance, the
read side of the servers API, update and delete, and the one way every action changes state.

``ServerApi`` acts for one caller (``RequestContext``). Instances of other projects are "not
found" for everyone but admins. Every state-changing request goes through
:meth:`ServerApi.transition`: in one write transaction it locks the row, checks lock and state
(409 with Nova's messages), sets the new task state, applies the change and records the
instance action with the request id; the RPC cast happens after the commit. :meth:`ServerApi.act`
is transition + cast: when the cast cannot be sent the task state is put back and the caller
gets a 503 (``cast_guard``). The transaction is re-run on transient database errors
(``stratus.db.retry``): it does nothing but database work.

Creation lives in ``create``, the actions in ``actions`` and ``moves``; they all build on
this class.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.common.context import RequestContext
from stratus.db import retry
from stratus.db.models.compute import Instance
from stratus.db.repositories.compute import instance_actions, server_refs
from stratus.db.repositories.compute import instances as repo
from stratus.db.session import Database
from stratus.objects import states
from stratus.objects.instance import Instance as InstanceObject
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.services import servicegroup
from stratus.services.compute import cast_guard, server_status
from stratus.services.image.images import Policy
from stratus.services.network import server_ports

Mutation = Callable[[Session, Instance], None]
Send = Callable[[InstanceObject], None]


@dataclasses.dataclass(frozen=True)
class Transition:
    """How an action may change an instance: allowed states before, task state during."""

    action: str
    vm_states: tuple[str, ...] | None
    task_states: tuple[str | None, ...] | None = (None,)
    new_task_state: str | None = None
    record: str | None = None
    check_lock: bool = True
    needs_host: bool = True


@dataclasses.dataclass
class ServerRecord:
    """An instance row with everything its API view shows."""

    row: Instance
    extras: repo.Extras
    availability_zone: str
    host_status: str | None = None
    server_groups: list[str] | None = None

    @property
    def status(self) -> str:
        return server_status.status(self.row.vm_state, self.row.task_state, self.row.deleted)


def host_id(project_id: str, host: str | None) -> str:
    """Nova's ``hostId``: an opaque per-project id of the host ("" before scheduling)."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def not_found(uuid: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"Instance {uuid} could not be found.")


class ServerApi:
    """Servers as seen and changed by one caller."""

    def __init__(
        self,
        db: Database,
        cfg: Config,
        ctx: RequestContext,
        conductor: ConductorAPI,
        compute: ComputeAPI,
        image_policy: Policy,
    ) -> None:
        self.db = db
        self.cfg = cfg
        self.ctx = ctx
        self.conductor = conductor
        self.compute = compute
        self.image_policy = image_policy

    @property
    def is_admin(self) -> bool:
        return self.ctx.is_admin

    # -- lookups ---------------------------------------------------------------------------
    def load(self, session: Session, uuid: str, lock: bool = False) -> Instance:
        """The caller's (or, for admins, any) live instance ``uuid``; 404 otherwise."""
        row = repo.get(session, uuid, lock=lock)
        if row is None or (not self.is_admin and row.project_id != self.ctx.project_id):
            raise not_found(uuid)
        return row

    def target(self, uuid: str) -> dict[str, Any]:
        """The policy target of an instance (404 if the caller may not see it)."""
        with self.db.read() as session:
            row = self.load(session, uuid)
            return {"project_id": row.project_id, "user_id": row.user_id, "uuid": row.uuid}

    def records(
        self,
        session: Session,
        rows: Sequence[Instance],
        host_status: bool = False,
        server_groups: bool = False,
    ) -> list[ServerRecord]:
        """Rows with their batch-loaded extras (the shape views render)."""
        extras = repo.load_extras(session, rows)
        hosts = sorted({r.host for r in rows if r.host})
        zones = servicegroup.host_zones(session, self.cfg) if hosts else {}
        statuses = self._host_statuses(session, hosts) if host_status else {}
        groups = repo.server_groups(session, [r.uuid for r in rows]) if server_groups else {}
        result = []
        for row in rows:
            zone = row.availability_zone or ""
            if row.host and not zone:
                zone = zones.get(row.host, self.cfg.compute.default_availability_zone)
            result.append(
                ServerRecord(
                    row=row,
                    extras=extras[row.uuid],
                    availability_zone=zone,
                    host_status=statuses.get(row.host or "", "") if host_status else None,
                    server_groups=groups.get(row.uuid, []) if server_groups else None,
                )
            )
        return result

    def _host_statuses(self, session: Session, hosts: list[str]) -> dict[str, str]:
        services = server_refs.compute_services(session, hosts)
        found = {}
        for host in hosts:
            svc = services.get(host)
            if svc is None:
                found[host] = "UNKNOWN"
            elif not servicegroup.is_up(svc, self.cfg.default.service_down_time):
                found[host] = "DOWN"
            elif svc.disabled:
                found[host] = "MAINTENANCE"
            else:
                found[host] = "UP"
        return found

    def show(
        self, uuid: str, host_status: bool = False, server_groups: bool = False
    ) -> ServerRecord:
        with self.db.read() as session:
            row = self.load(session, uuid)
            record = self.records(session, [row], host_status, server_groups)[0]
            session.expunge_all()  # NOTE: the read transaction's rollback would expire them
            return record

    def list_servers(
        self,
        query: repo.ListQuery,
        limit: int | None,
        marker: str | None,
        detail: bool,
        host_status: bool = False,
    ) -> list[ServerRecord]:
        """One page of servers matching ``query`` (extras only loaded for ``detail``)."""
        with self.db.read() as session:
            marker_row = None
            if marker is not None:
                marker_row = repo.get(session, marker, read_deleted=query.deleted is not False)
                if marker_row is None or (
                    query.project_id is not None and marker_row.project_id != query.project_id
                ):
                    raise exceptions.Invalid(f"marker [{marker}] not found")
            rows = repo.list_instances(session, query, limit, marker_row)
            if not detail:
                records = [ServerRecord(r, repo.Extras(), "") for r in rows]
            else:
                records = self.records(session, rows, host_status=host_status)
            session.expunge_all()
            return records

    # -- changes ---------------------------------------------------------------------------
    def check_lock(self, row: Instance) -> None:
        if row.locked and not self.is_admin:
            raise exceptions.Conflict(f"Instance {row.uuid} is locked")

    def check_host(self, session: Session, row: Instance) -> str:
        """The instance's host, which must be up (409 otherwise, as Nova)."""
        if not row.host:
            raise exceptions.Conflict(f"Instance {row.uuid} is not ready")
        if not servicegroup.compute_host_up(session, row.host, self.cfg.default.service_down_time):
            raise exceptions.Conflict(f"Compute service of {row.host} is unavailable at this time.")
        return row.host

    def record_action(self, session: Session, uuid: str, action: str) -> None:
        instance_actions.record(
            session, uuid, action, self.ctx.request_id, self.ctx.user_id, self.ctx.project_id
        )

    def transition(
        self, uuid: str, t: Transition, mutate: Mutation | None = None
    ) -> InstanceObject:
        """Check and apply ``t`` (plus ``mutate``) in one transaction; the updated instance.

        ``mutate`` may run more than once (the transaction is retried on transient database
        errors): it must only change the session and keep what it finds for the caller in a
        way a re-run overwrites."""
        return self._transition(uuid, t, mutate)[1]

    def act(
        self,
        uuid: str,
        t: Transition,
        send: Send,
        mutate: Mutation | None = None,
        undo: cast_guard.Undo | None = None,
        target: cast_guard.Target = "compute",
    ) -> InstanceObject:
        """:meth:`transition`, then ``send(instance)`` (the cast); if that cannot be sent the
        task state goes back, ``undo`` reverts the rest, and a 503 is raised."""
        before, instance = self._transition(uuid, t, mutate)
        with cast_guard.reverting(
            self.db,
            self.ctx,
            uuid,
            action=t.record or t.action,
            set_task_state=instance.task_state,
            previous_task_state=before,
            target=target,
            undo=undo,
        ):
            send(instance)
        return instance

    @retry.on_transient
    def _transition(
        self, uuid: str, t: Transition, mutate: Mutation | None
    ) -> tuple[str | None, InstanceObject]:
        """The task state before and the instance after ``t``."""
        with self.db.write() as session:
            row = self.load(session, uuid, lock=True)
            if t.check_lock:
                self.check_lock(row)
            server_status.check(
                t.action, uuid, row.vm_state, row.task_state, t.vm_states, t.task_states
            )
            if t.needs_host:
                self.check_host(session, row)
            before = row.task_state
            if t.new_task_state is not None:
                row.task_state = t.new_task_state
            if mutate is not None:
                mutate(session, row)
            row.updated_at = clock.utcnow()
            if t.record:
                self.record_action(session, uuid, t.record)
            session.flush()
            return before, repo.to_object(session, row)

    @retry.on_transient
    def update(self, uuid: str, changes: dict[str, Any]) -> ServerRecord:
        """``PUT /servers/{id}``: ``display_name``, ``display_description``, access IPs,
        ``auto_disk_config`` and ``hostname`` (keys are column names)."""
        with self.db.write() as session:
            row = self.load(session, uuid, lock=True)
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = clock.utcnow()
            session.flush()
            return self.records(session, [row])[0]

    def delete(self, uuid: str, action: str = "delete") -> None:
        """Delete: locally when never scheduled (or its host is down), else by the host.

        When the host cannot be told, the task state goes back and a 503 says nothing was
        done (``cast_guard``); a pending resize's migration is ``finished`` again."""
        prepared = self._prepare_delete(uuid)
        if prepared is None:
            return
        before, instance, confirm = prepared
        sent: list[str] = []

        def undo(session: Session, row: Instance) -> None:
            if confirm is not None and not sent:
                cast_guard.migration_back(session, row.uuid, "confirming")

        with cast_guard.reverting(
            self.db, self.ctx, uuid, action="delete", set_task_state=states.DELETING,
            previous_task_state=before, undo=undo,
        ):  # fmt: skip
            if confirm is not None:
                source, migration = confirm
                self.compute.confirm_resize(source, instance, migration)
                sent.append("confirm_resize")
            assert instance.host is not None
            self.compute.terminate_instance(instance.host, instance)

    @retry.on_transient
    def _prepare_delete(self, uuid: str) -> tuple[str | None, InstanceObject, Any] | None:
        """Deletes locally (None) or sets ``deleting``: task state before, instance, and the
        pending resize to confirm first."""
        with self.db.write() as session:
            row = self.load(session, uuid, lock=True)
            self.check_lock(row)
            self.record_action(session, uuid, "delete")
            if not servicegroup.compute_host_up(
                session, row.host, self.cfg.default.service_down_time
            ):
                self.local_delete(session, row)
                return None
            confirm = self._pending_resize(session, row)
            before = row.task_state
            row.task_state = states.DELETING
            row.updated_at = clock.utcnow()
            session.flush()
            return before, repo.to_object(session, row), confirm

    def _pending_resize(self, session: Session, row: Instance) -> Any:
        """A resize waiting for confirmation is confirmed first (Nova does the same)."""
        if row.vm_state != states.RESIZED:
            return None
        migration = server_refs.latest_migration(session, row.uuid, ("finished",), lock=True)
        if migration is None or not migration.source_compute:
            return None
        migration.status = "confirming"
        return migration.source_compute, server_refs.migration_ref(migration)

    def local_delete(self, session: Session, row: Instance) -> None:
        """Release everything the instance holds and mark it deleted (in ``session``)."""
        now = clock.utcnow()
        server_ports.deallocate_for_instance(session, row.uuid)
        server_refs.delete_allocations(session, [row.uuid])
        server_refs.remove_from_server_groups(session, row.uuid)
        row.vm_state = states.DELETED
        row.task_state = None
        row.deleted = True
        row.deleted_at = now
        row.terminated_at = now
        row.updated_at = now
        session.flush()
