"""Telling compute hosts their dataplane must change: fanouts on the bus, after commit.

The network services record what changed in the open transaction (:func:`note`,
:func:`ports_changed`, :func:`rules_changed`); when that transaction commits, the process's
listener (:func:`install_for`: the compute agents' RPC client, whose methods fan out to every
agent; none when ``[network] backend`` builds nothing on hosts) hears about it, so an agent
that asks the conductor right away reads the new state. A rolled-back transaction publishes
nothing. Publishing never fails the request that made the change: a lost message is repaired
by the agents' periodic resync (``[network] resync_interval``).

What is published:

* ``security_groups_changed(security_group_ids, port_ids)`` — re-render the rules of these
  ports and of every port in these groups. A rule change names its group; a change of a port's
  groups, addresses or port security names the port and every group with a rule admitting
  members of the port's (old and new) groups, whose remote-group addresses just changed.
* ``networks_changed(network_ids)`` — a network's subnets, MTU or ports' addresses changed, or it
  was deleted: hosts re-read it (and remove it if it is gone).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from stratus.common.config import Config
from stratus.db.repositories.network import ports as port_repo
from stratus.db.repositories.network import security_groups as sg_repo
from stratus.services.network.common import backend

LOG = logging.getLogger(__name__)

_KEY = "stratus.dataplane_changes"


class DataplaneListener(Protocol):
    """Who hears about committed changes (``stratus.rpcapi.compute.ComputeAPI`` fans out)."""

    def security_groups_changed(self, security_group_ids: list[str], port_ids: list[str]) -> None:
        """Rules of these groups' ports and of these ports changed."""

    def networks_changed(self, network_ids: list[str]) -> None:
        """These networks changed or were deleted."""


@dataclasses.dataclass
class _Pending:
    groups: set[str] = dataclasses.field(default_factory=set)
    ports: set[str] = dataclasses.field(default_factory=set)
    networks: set[str] = dataclasses.field(default_factory=set)


# NOTE: one listener per process, installed where the process's bus is made (API deployment,
# conductor). Tests that run several clouds one after another install theirs each time.
_listener: DataplaneListener | None = None


def install(listener: DataplaneListener | None) -> None:
    """Publish this process's committed dataplane changes to ``listener`` (None: nowhere)."""
    global _listener
    _listener = listener


def install_for(cfg: Config, listener: DataplaneListener) -> None:
    """Install ``listener`` when the configured backend builds a dataplane on compute hosts;
    with ``noop`` there is nobody to tell, and the cloud pays nothing for it."""
    caps = backend(cfg).capabilities
    install(listener if caps.dhcp or caps.enforces_security_groups else None)


def note(
    session: Session,
    *,
    groups: Iterable[str] = (),
    ports: Iterable[str] = (),
    networks: Iterable[str] = (),
) -> None:
    """Record changes, published when ``session``'s transaction commits."""
    pending = session.info.setdefault(_KEY, _Pending())
    pending.groups.update(groups)
    pending.ports.update(ports)
    pending.networks.update(networks)


def ports_changed(
    session: Session, port_ids: Iterable[str], old_groups: Iterable[str] = ()
) -> None:
    """The groups, addresses or port security of these ports changed (or will: call before a
    delete). ``old_groups``: groups the ports just left."""
    ids = list(port_ids)
    current = port_repo.security_group_ids(session, ids)
    groups = set(old_groups) | {g for gs in current.values() for g in gs}
    note(session, groups=sg_repo.referencing(session, groups), ports=ids)


def rules_changed(session: Session, group_id: str) -> None:
    """A rule of ``group_id`` was added or removed."""
    note(session, groups=[group_id])


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    if session.in_nested_transaction():
        return  # NOTE: a savepoint was released; the transaction may still roll back
    pending = session.info.pop(_KEY, None)
    listener = _listener
    if not isinstance(pending, _Pending) or listener is None:
        return
    try:
        if pending.groups or pending.ports:
            listener.security_groups_changed(sorted(pending.groups), sorted(pending.ports))
        if pending.networks:
            listener.networks_changed(sorted(pending.networks))
    except Exception:
        LOG.exception("could not tell the compute hosts about a dataplane change")


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (else ``_publish`` took the changes)."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)
