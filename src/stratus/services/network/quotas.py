"""Networking quotas (Neutron ``/v2.0/quotas``) on the shared quota engine.

Limits come from ``[quota]`` and per-project overrides in the ``quotas`` table (the same rows
the compute quota API uses; the resource names do not overlap). -1 means unlimited.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.repositories.network import quotas as quota_repo
from stratus.db.session import Database
from stratus.services import quota
from stratus.services.network.common import RESOURCES, Caller, reading


@dataclasses.dataclass(frozen=True)
class Usage:
    limit: int
    used: int
    reserved: int = 0


def _network_only(values: Mapping[str, int]) -> dict[str, int]:
    return {r: values[r] for r in RESOURCES if r in values}


def _check_reader(caller: Caller, project_id: str) -> None:
    caller.check("get_quota", {"project_id": project_id})


def list_quotas(db: Database, cfg: Config, caller: Caller) -> dict[str, dict[str, int]]:
    """project id -> limits, for every project with its own networking limits (admin)."""
    caller.check("get_quota:all", {})
    with reading(db) as session:
        projects = quota_repo.projects_with_limits(session, RESOURCES, quota.DEFAULT_CLASS)
        return {p: _network_only(quota.limits(session, cfg, p)) for p in projects}


def get_quota(db: Database, cfg: Config, caller: Caller, project_id: str) -> dict[str, int]:
    _check_reader(caller, project_id)
    with reading(db) as session:
        return _network_only(quota.limits(session, cfg, project_id))


def get_defaults(db: Database, cfg: Config, caller: Caller, project_id: str) -> dict[str, int]:
    _check_reader(caller, project_id)
    with reading(db) as session:
        return _network_only(quota.defaults(session, cfg))


def get_details(db: Database, cfg: Config, caller: Caller, project_id: str) -> dict[str, Usage]:
    _check_reader(caller, project_id)
    with reading(db) as session:
        limits = _network_only(quota.limits(session, cfg, project_id))
        used = quota.usage(session, project_id, None, list(RESOURCES))
        return {r: Usage(limits[r], used.get(r, 0)) for r in limits}


def update_quota(
    db: Database, cfg: Config, caller: Caller, project_id: str, values: Mapping[str, int]
) -> dict[str, int]:
    caller.check("update_quota", {"project_id": project_id})
    for resource, limit in values.items():
        if resource not in RESOURCES:
            raise exceptions.Invalid(f"Unrecognized attribute(s) '{resource}'")
        if limit < -1:
            raise exceptions.Invalid(
                f"Invalid input for {resource}. Reason: '{limit}' should be an integer greater "
                "or equal to -1."
            )
    with db.write() as session:
        for resource, limit in values.items():
            quota.set_limit(session, project_id, resource, limit)
        return _network_only(quota.limits(session, cfg, project_id))


def delete_quota(db: Database, caller: Caller, project_id: str) -> None:
    """Back to the defaults for the networking resources only."""
    caller.check("delete_quota", {"project_id": project_id})
    with db.write() as session:
        quota_repo.delete_limits(session, project_id, RESOURCES)
