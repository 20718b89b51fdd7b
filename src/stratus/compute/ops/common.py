"""What every agent operation shares: the agent's environment and the run-an-operation frame.

:func:`run_op` is the frame: under the instance's lock it re-reads the instance from the
conductor, checks the :mod:`~stratus.compute.lifecycle` transition, records the instance action
event (with the request id of the user request that started it), runs the operation body and,
when the body fails, runs the undo steps the body registered, records a fault saying why, and
puts the instance where the transition says (back to its previous ``vm_state``, ``error``, or —
for builds — hands it back to the conductor to reschedule).

Errors: a ``Conflict`` from ``instance_update`` means the instance's task state changed under us
(a delete, a ``resetState``): the operation stops quietly, leaving the instance to its new owner.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from stratus.common import context
from stratus.common.config import Config
from stratus.common.exceptions import Conflict, MessagingError, NotFound, StratusError
from stratus.common.revert import Reverter
from stratus.compute import dataplane, lifecycle
from stratus.compute.image_client import ImageClient
from stratus.compute.lifecycle import Transition
from stratus.network.backend import NetworkBackend
from stratus.network.metadata.service import MetadataService
from stratus.objects import states
from stratus.objects.instance import Instance
from stratus.objects.network import VIF
from stratus.rpcapi.compute import ComputeAPI
from stratus.rpcapi.conductor import ConductorAPI
from stratus.virt.driver import InstanceNotFound, VirtDriver

LOG = logging.getLogger(__name__)

Body = Callable[[Instance, Reverter], None]


class TaskStateLost(Exception):
    """``instance_update`` found another task state: someone else owns the instance now."""


class InstanceLocks:
    """One lock per instance uuid, so operations on one instance never interleave (Nova's
    ``@synchronized(instance.uuid)``); entries go away when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, instance_uuid: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(instance_uuid, (threading.Lock(), 0))
            self._locks[instance_uuid] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[instance_uuid]
                if users <= 1:
                    del self._locks[instance_uuid]
                else:
                    self._locks[instance_uuid] = (lock, users - 1)


class Working:
    """The instances this agent has an operation for (running or waiting for its turn); the
    agent touches them every ``[conductor] progress_interval`` so the conductor's stuck-work
    check never takes a slow build or a long snapshot upload for abandoned work."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._count: dict[str, int] = {}

    @contextmanager
    def on(self, instance_uuid: str) -> Iterator[None]:
        with self._guard:
            self._count[instance_uuid] = self._count.get(instance_uuid, 0) + 1
        try:
            yield
        finally:
            with self._guard:
                left = self._count.pop(instance_uuid) - 1
                if left:
                    self._count[instance_uuid] = left

    def uuids(self) -> list[str]:
        with self._guard:
            return sorted(self._count)


@dataclasses.dataclass
class AgentEnv:
    """Everything an operation may use. Nothing here opens the database."""

    host: str
    cfg: Config
    driver: VirtDriver
    conductor: ConductorAPI
    compute: ComputeAPI
    network: NetworkBackend
    images: ImageClient
    locks: InstanceLocks = dataclasses.field(default_factory=InstanceLocks)
    working: Working = dataclasses.field(default_factory=Working)
    builds: threading.BoundedSemaphore = dataclasses.field(
        default_factory=lambda: threading.BoundedSemaphore(10)
    )
    # the metadata servers of this host's network namespaces (None: not run here); the
    # dataplane calls ``ensure(network_id)`` after setting a namespace up, ``forget`` before
    # deleting it
    metadata: MetadataService | None = None

    def network_info(self, instance_uuid: str) -> list[VIF]:
        return self.conductor.network_info(instance_uuid)

    def power_state(self, instance: Instance) -> int:
        """What the hypervisor says now; ``NOSTATE`` if it does not know the instance."""
        try:
            return self.driver.get_info(instance).power_state
        except InstanceNotFound:
            return states.NOSTATE

    def plug(self, vifs: Sequence[VIF]) -> None:
        """Before a guest starts: its networks and rules on this host, then the ports."""
        dataplane.prepare(self, vifs)
        for vif in vifs:
            self.network.plug(self.host, vif)

    def unplug(self, vifs: Sequence[VIF]) -> None:
        """After a guest is gone: its ports, DHCP entries and rules."""
        for vif in vifs:
            self.network.unplug(self.host, vif)
        dataplane.release(self, vifs)


def set_state(
    env: AgentEnv,
    instance_uuid: str,
    expected: Sequence[str | None] | None,
    **values: Any,
) -> Instance:
    """``instance_update`` with an expected task state; ``TaskStateLost`` on a mismatch."""
    try:
        return env.conductor.instance_update(
            instance_uuid, values, list(expected) if expected is not None else None
        )
    except Conflict as exc:
        raise TaskStateLost(str(exc)) from exc


def _user_request_id() -> str | None:
    """The id of the user request this work belongs to (``None`` for the agent's own work)."""
    ctx = context.current()
    return ctx.request_id if ctx is not None and ctx.user_id else None


class _Event:
    """An instance action event; failures to record one are logged, never fatal."""

    def __init__(self, env: AgentEnv, instance_uuid: str, name: str) -> None:
        self.env, self.uuid, self.name = env, instance_uuid, name
        self.request_id = _user_request_id()
        if self.request_id is None:
            return
        try:
            env.conductor.action_event_start(instance_uuid, self.request_id, name, env.host)
        except StratusError as exc:
            LOG.warning("could not record event %s of %s: %s", name, instance_uuid, exc)

    def finish(self, error: BaseException | None = None) -> None:
        if self.request_id is None:
            return
        result = "Success" if error is None else "Error"
        tb = "".join(traceback.format_exception(error)) if error is not None else None
        try:
            self.env.conductor.action_event_finish(
                self.uuid, self.request_id, self.name, result, tb
            )
        except StratusError as exc:
            LOG.warning("could not record event %s of %s: %s", self.name, self.uuid, exc)


def describe(error: BaseException) -> str:
    """A fault message an operator can act on (the class name when there is no message)."""
    text = error.message if isinstance(error, StratusError) else str(error)
    return text or type(error).__name__


def record_fault(env: AgentEnv, instance_uuid: str, message: str, error: BaseException) -> None:
    details = "".join(traceback.format_exception(error))
    try:
        env.conductor.instance_fault_create(instance_uuid, 500, message, details, env.host)
    except StratusError as exc:
        LOG.warning("could not record the fault of %s: %s", instance_uuid, exc)


def _after_failure(
    env: AgentEnv, instance: Instance, transition: Transition, error: Exception
) -> None:
    message = f"{transition.failure} on host {env.host}: {describe(error)}"
    LOG.warning("%s %s", instance.uuid, message)
    if transition.on_failure == "reschedule":
        env.conductor.build_failed(instance.uuid, env.host, message)
        return
    record_fault(env, instance.uuid, message, error)
    values: dict[str, Any] = {"task_state": None, "power_state": env.power_state(instance)}
    values["vm_state"] = states.ERROR if transition.on_failure == "error" else instance.vm_state
    try:
        env.conductor.instance_update(instance.uuid, values)
    except StratusError as exc:
        LOG.error("could not put instance %s into %s: %s", instance.uuid, values, exc)


def _left_for_recovery(
    op: str, instance: Instance, transition: Transition, error: Exception
) -> bool:
    """Whether a failure only means the conductor could not be reached: then the task state
    stays as it is, for the conductor's stuck-work check to finish (an interrupted delete is
    cast again) or settle, instead of an ERROR for a delete that merely lost its messages."""
    if not isinstance(error, MessagingError) or transition.on_failure == "reschedule":
        return False
    LOG.warning(
        "%s of %s interrupted: %s; its task is left for the conductor's stuck-work check",
        op,
        instance.uuid,
        describe(error),
    )
    return True


def _fresh(env: AgentEnv, instance: Instance) -> Instance | None:
    try:
        return env.conductor.instance_get(instance.uuid)
    except NotFound:
        return None


def run_op(
    env: AgentEnv,
    op: str,
    instance: Instance,
    body: Body,
    on_gone: Callable[[Instance], None] | None = None,
) -> None:
    """Run operation ``op`` (a key of ``lifecycle.TRANSITIONS``) on ``instance``.

    ``instance`` is the copy from the message; the body gets the current one. When the instance
    no longer exists, ``on_gone`` (if any) runs with the message's copy instead.
    """
    transition = lifecycle.TRANSITIONS[op]
    with env.working.on(instance.uuid), env.locks.hold(instance.uuid):
        current = _fresh(env, instance)
        if current is None or current.deleted:
            LOG.info("%s: instance %s is gone", op, instance.uuid)
            if on_gone is not None:
                on_gone(instance)
            return
        event = _Event(env, current.uuid, transition.event)
        try:
            lifecycle.check(transition, current)
        except lifecycle.IllegalTransition as exc:
            LOG.warning("ignoring %s: %s", op, exc.message)
            event.finish(exc)
            return
        with Reverter() as revert:
            try:
                body(current, revert)
                revert.success()
            except TaskStateLost as exc:
                revert.success()  # the new owner decides what happens to the instance
                LOG.warning("%s of %s stopped: %s", op, instance.uuid, exc)
                event.finish(exc)
                return
            except Exception as exc:
                revert.fail()
                event.finish(exc)
                if _left_for_recovery(op, instance, transition, exc):
                    return
                _after_failure(env, current, transition, exc)
                return
        event.finish()
