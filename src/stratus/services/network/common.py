"""What every networking service module shares: the caller, policy checks, quotas, the backend.

The networking services (``networks``, ``subnets``, ``ports``, ``security_groups``, ``quotas``,
``tags``, and ``server_ports`` for servers)
decide everything that depends on who is asking: visibility (other projects' private resources
are "not found"), ownership and admin-only attributes (403 ``PolicyNotAuthorized``), quotas
(409 ``OverQuota``, as Neutron answers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.repositories.network import networks as net_repo
from stratus.db.repositories.network import ports as port_repo
from stratus.db.repositories.network import security_groups as sg_repo
from stratus.db.repositories.network import subnets as subnet_repo
from stratus.db.repositories.network.listing import ListQuery, Page
from stratus.db.session import Database
from stratus.network import backend as backend_mod
from stratus.network.backend import NetworkBackend
from stratus.network.errors import OverQuota, PolicyNotAuthorized
from stratus.services import quota

__all__ = ["SYSTEM", "Caller", "ListQuery", "Page", "Policy", "backend", "enforce_quota", "reading"]

RESOURCES = ("network", "subnet", "port", "security_group", "security_group_rule")

quota.register("network", lambda s, p, _u: net_repo.count(s, p))
quota.register("subnet", lambda s, p, _u: subnet_repo.count(s, p))
quota.register("port", lambda s, p, _u: port_repo.count(s, p))
quota.register("security_group", lambda s, p, _u: sg_repo.count(s, p))
quota.register("security_group_rule", lambda s, p, _u: sg_repo.count_rules(s, p))


class Policy(Protocol):
    """Answers policy questions for the caller (the API passes its request object)."""

    def allowed(self, rule: str, target: Mapping[str, Any] | None = None) -> bool: ...


class _AllowAll:
    def allowed(self, rule: str, target: Mapping[str, Any] | None = None) -> bool:
        return True


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who is asking. ``SYSTEM`` is the control plane itself (bootstrap, conductor)."""

    project_id: str | None
    is_admin: bool
    policy: Policy

    def check(self, rule: str, target: Mapping[str, Any]) -> None:
        """403 ``PolicyNotAuthorized`` unless ``rule`` allows the caller on ``target``."""
        if not self.policy.allowed(rule, target):
            raise PolicyNotAuthorized(rule)

    def owner_of_new(self, requested: str | None) -> str:
        """The project a new resource belongs to: the caller's unless an admin says otherwise."""
        project = requested or self.project_id
        if project is None:
            raise exceptions.Invalid("A project_id is required.")
        return project


SYSTEM = Caller(project_id=None, is_admin=True, policy=_AllowAll())


def check_admin_attrs(
    caller: Caller,
    action: str,
    given: Mapping[str, Any],
    defaults: Mapping[str, Any],
    target: Mapping[str, Any],
) -> None:
    """Neutron's attribute policies: an attribute counts only when set to a non-default value."""
    for attr, default in defaults.items():
        if attr in given and given[attr] != default:
            caller.check(f"{action}:{attr}", target)


@functools.cache
def _load(name: str) -> NetworkBackend:
    return backend_mod.load(name)


def backend(cfg: Config) -> NetworkBackend:
    """The configured dataplane backend (one instance per process)."""
    return _load(cfg.network.backend)


def enforce_quota(
    session: Session, cfg: Config, project_id: str, deltas: Mapping[str, int]
) -> None:
    """``quota.enforce`` with Neutron's answer to an overrun: 409 ``OverQuota``."""
    try:
        quota.enforce(session, cfg, project_id, None, deltas)
    except exceptions.QuotaExceeded:
        raise OverQuota(sorted(k for k, v in deltas.items() if v > 0)) from None


@contextlib.contextmanager
def reading(db: Database) -> Iterator[Session]:
    """``db.read()`` whose rows stay usable after it (detached, not expired by the rollback)."""
    with db.read() as session:
        yield session
        session.expunge_all()
