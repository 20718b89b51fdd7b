"""The conductor's stuck-work check: finish work that nobody does any more.

Every ``[conductor] recovery_interval`` seconds (and once at start) :func:`run_once` finds live
instances that are building or in a task and have not changed for the timeout
(:mod:`~stratus.conductor.stuck` decides what each needs) and settles them:

* a build → ERROR with a fault saying it timed out; when it never reached its host's agent the
  scheduler's claim and the ports are freed and the host is cleared (a build the agent had
  started keeps them, as Nova keeps an ERROR instance's, until the user deletes it);
* a delete → finished: locally when the host's compute service is down (allocations, ports,
  server groups), else cast to the host again (the agent's delete is idempotent);
* a half-done resize or rebuild → ERROR with a fault; any other task → task state cleared
  (vm_state kept; the agent's power-state sync reconciles the power state).

Each change is one compare-and-set UPDATE (``WHERE uuid AND vm_state AND task_state AND
updated_at < cutoff``) in the transaction that adds the fault and the instance action event,
so several conductors may run the check at once: one wins, the others skip the instance.

With the in-process bus (``stratus up``), a restart loses every queued message: the first
run also fails, at once, builds still in ``scheduling`` from before this process started.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy.orm import Session

from stratus.common import clock
from stratus.common.exceptions import StratusError
from stratus.conductor import network
from stratus.conductor.db_proxy import DatabaseProxy
from stratus.conductor.stuck import (
    ON_HOST_BUILD_STATES,
    Timeouts,
    Verdict,
    build_interrupted_message,
    build_timeout_message,
    task_timeout_message,
    verdict,
)
from stratus.conductor.tasks.base import Services
from stratus.db.repositories.compute import action_events, allocations
from stratus.db.repositories.compute import instances_conductor as instances
from stratus.db.repositories.compute import migrations_conductor as migrations
from stratus.objects import states
from stratus.services import servicegroup

LOG = logging.getLogger(__name__)
EVENT = "conductor_recover_abandoned_work"
# NOTE: when this process started (imported once at start): only what changed before it can
# have been lost with the previous process's in-process bus
PROCESS_STARTED = clock.utcnow()
# NOTE: resize steps before the guest moved: the claims on the destination go back
_UNMOVED_RESIZE = frozenset({states.RESIZE_PREP, states.RESIZE_MIGRATING})


@dataclasses.dataclass(frozen=True)
class _Seen:
    """What the check read of one instance (the compare-and-set compares against it)."""

    uuid: str
    vm_state: str
    task_state: str | None
    last_change: dt.datetime
    host: str | None


class StuckWorkCheck:
    """The periodic check of one conductor; ``run`` is what its periodic thread calls."""

    def __init__(self, services: Services, proxy: DatabaseProxy, in_process_bus: bool) -> None:
        self.services = services
        self.proxy = proxy
        self._sweep_restart = in_process_bus

    def run(self) -> list[tuple[str, Verdict]]:
        done: list[tuple[str, Verdict]] = []
        if self._sweep_restart:
            self._sweep_restart = False
            done += fail_interrupted_builds(self.services, PROCESS_STARTED)
        return done + run_once(self.services, self.proxy)


def _timeouts(services: Services) -> Timeouts:
    opts = services.cfg.conductor
    return Timeouts(build=max(opts.build_timeout, 1), task=max(opts.task_timeout, 1))


def _unchanged(services: Services, before: dt.datetime) -> list[_Seen]:
    with services.db.read() as session:
        return [
            _Seen(r.uuid, r.vm_state, r.task_state, r.updated_at or r.created_at, r.host)
            for r in instances.unchanged_since(session, before)
        ]


def run_once(
    services: Services, proxy: DatabaseProxy, now: dt.datetime | None = None
) -> list[tuple[str, Verdict]]:
    """One pass; returns the instances settled (uuid, verdict), for logs and tests."""
    now = now or clock.utcnow()
    timeouts = _timeouts(services)
    settled: list[tuple[str, Verdict]] = []
    for seen in _unchanged(services, now - dt.timedelta(seconds=timeouts.shortest())):
        what = verdict(seen.vm_state, seen.task_state, seen.last_change, now, timeouts)
        if what is None:
            continue
        try:
            if _settle(services, proxy, seen, what, now, timeouts):
                settled.append((seen.uuid, what))
        except StratusError as error:
            LOG.warning("could not settle instance %s (%s): %s", seen.uuid, what.value, error)
    return settled


def fail_interrupted_builds(services: Services, started: dt.datetime) -> list[tuple[str, Verdict]]:
    """Builds in ``scheduling`` unchanged since ``started``: their messages died with the last
    process (in-process bus only) → ERROR now."""
    settled = []
    for seen in _unchanged(services, started):
        if seen.vm_state != states.BUILDING or seen.task_state != states.SCHEDULING:
            continue
        message = build_interrupted_message(seen.uuid)
        if _fail_build(services, seen, message, started):
            settled.append((seen.uuid, Verdict.FAIL_BUILD))
    return settled


def _settle(
    services: Services,
    proxy: DatabaseProxy,
    seen: _Seen,
    what: Verdict,
    now: dt.datetime,
    timeouts: Timeouts,
) -> bool:
    task_cutoff = now - dt.timedelta(seconds=timeouts.task)
    if what is Verdict.FAIL_BUILD:
        message = build_timeout_message(seen.uuid, seen.task_state, timeouts.build)
        return _fail_build(services, seen, message, now - dt.timedelta(seconds=timeouts.build))
    if what is Verdict.FINISH_DELETE:
        return _finish_delete(services, proxy, seen, task_cutoff)
    assert seen.task_state is not None
    message = task_timeout_message(seen.task_state, timeouts.task)
    return _end_task(services, proxy, seen, what, message, task_cutoff)


def _record(session: Session, seen: _Seen, message: str, host: str) -> None:
    """An Error event on the action that started the abandoned work (if it recorded one)."""
    action = action_events.latest_action(session, seen.uuid)
    if action is None:
        return
    action_events.start_event(session, action, EVENT, host)
    action_events.finish_event(session, action, EVENT, action_events.ERROR, message)


def _fail_build(services: Services, seen: _Seen, message: str, cutoff: dt.datetime) -> bool:
    on_host = seen.task_state in ON_HOST_BUILD_STATES
    values: dict[str, object] = {"vm_state": states.ERROR, "task_state": None}
    if not on_host:
        values.update(host=None, node=None)
    with services.db.write() as session:
        if not instances.take_over(
            session, seen.uuid, seen.vm_state, seen.task_state, cutoff, values
        ):
            return False
        instances.add_fault(session, seen.uuid, 500, message, "", seen.host)
        if not on_host:
            allocations.unclaim(session, seen.uuid)
            network.deallocate(session, seen.uuid)
        _record(session, seen, message, services.cfg.default.host)
    LOG.warning("instance %s: %s", seen.uuid, message)
    return True


def _end_task(
    services: Services,
    proxy: DatabaseProxy,
    seen: _Seen,
    what: Verdict,
    message: str,
    cutoff: dt.datetime,
) -> bool:
    values: dict[str, object] = {"task_state": None}
    if what is Verdict.FAIL_TASK:
        values["vm_state"] = states.ERROR
    with services.db.write() as session:
        if not instances.take_over(
            session, seen.uuid, seen.vm_state, seen.task_state, cutoff, values
        ):
            return False
        if what is Verdict.FAIL_TASK:
            instances.add_fault(session, seen.uuid, 500, message, "", seen.host)
        _record(session, seen, message, services.cfg.default.host)
        unmoved = [m.uuid for m in migrations.in_progress(session, seen.uuid)]
    if seen.task_state in _UNMOVED_RESIZE:
        for migration_uuid in unmoved:
            proxy.migration_update(migration_uuid, "error")
    LOG.warning("instance %s: %s (%s)", seen.uuid, message, what.value)
    return True


def _finish_delete(
    services: Services, proxy: DatabaseProxy, seen: _Seen, cutoff: dt.datetime
) -> bool:
    """Local delete when the host is down; else cast it again (``updated_at`` moves, so the
    next try comes a timeout later)."""
    with services.db.write() as session:
        if not instances.take_over(session, seen.uuid, seen.vm_state, states.DELETING, cutoff):
            return False
        host_up = servicegroup.compute_host_up(
            session, seen.host, services.cfg.default.service_down_time
        )
        instance = instances.to_object(session, instances.get(session, seen.uuid))
    if not host_up:
        LOG.warning("instance %s: finishing its interrupted delete here", seen.uuid)
        proxy.instance_destroyed(seen.uuid, services.cfg.default.host)
        return True
    LOG.warning("instance %s: casting its interrupted delete to %s again", seen.uuid, seen.host)
    assert seen.host is not None
    services.compute.terminate_instance(seen.host, instance)
    return True
