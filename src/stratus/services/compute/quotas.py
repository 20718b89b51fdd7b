"""Compute quotas in Nova's vocabulary, over :mod:`stratus.services.quota`.

Nova names its resources ``instances``, ``cores``, ``ram``, ``key_pairs``, ``metadata_items``,
``server_groups``, ``server_group_members``, ``injected_files``,
``injected_file_content_bytes``, ``injected_file_path_bytes`` — plus, before microversion 2.36,
the network-ish ``floating_ips``, ``fixed_ips``, ``security_groups`` and
``security_group_rules`` whose limits are kept (Nova's defaults 10, -1, 10, 20) but mean nothing:
networking quotas live in the network API. Limits are stored per project, or for the
``default`` class (``os-quota-class-sets/default``), which overrides ``[quota]``; a user can be
limited further within a project (``?user_id=``), up to the project's limit.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from stratus.common import exceptions
from stratus.common.config import Config
from stratus.db.repositories.identity import projects, users
from stratus.services import quota

NETWORK_FIELDS = ("floating_ips", "fixed_ips", "security_groups", "security_group_rules")
FILE_FIELDS = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")
SERVER_GROUP_FIELDS = ("server_groups", "server_group_members")
ALL_FIELDS = (
    "instances",
    "cores",
    "ram",
    *NETWORK_FIELDS,
    "metadata_items",
    "key_pairs",
    *SERVER_GROUP_FIELDS,
    *FILE_FIELDS,
)
LEGACY_DEFAULTS = {
    "floating_ips": 10,
    "fixed_ips": -1,
    "security_groups": 10,
    "security_group_rules": 20,
}
# Nova name -> name stored by the quota engine (and used in ``[quota]``), where they differ.
_STORED = {"injected_file_path_bytes": "injected_file_path_length"}


def _stored(name: str) -> str:
    return _STORED.get(name, name)


def class_key(class_name: str) -> str:
    """The ``quotas.project_id`` a quota class is stored under (``default`` is the engine's)."""
    return quota.DEFAULT_CLASS if class_name == "default" else f"__class_{class_name}__"[:64]


def _as_nova(values: dict[str, int]) -> dict[str, int]:
    return {name: values.get(_stored(name), LEGACY_DEFAULTS.get(name, -1)) for name in ALL_FIELDS}


def defaults(session: Session, cfg: Config) -> dict[str, int]:
    """Every resource's default limit: ``[quota]`` overridden by the ``default`` class."""
    return _as_nova(quota.defaults(session, cfg))


def project_limits(session: Session, cfg: Config, project_id: str) -> dict[str, int]:
    return _as_nova(quota.limits(session, cfg, project_id))


def class_limits(session: Session, cfg: Config, class_name: str) -> dict[str, int]:
    if class_name == "default":
        return defaults(session, cfg)
    return _as_nova(quota.limits(session, cfg, class_key(class_name)))


def user_limits(session: Session, cfg: Config, project_id: str, user_id: str) -> dict[str, int]:
    """The project's limits narrowed by those set for ``user_id``."""
    limits = project_limits(session, cfg, project_id)
    for name, limit in quota.user_limits(session, project_id, user_id).items():
        nova = next((n for n in ALL_FIELDS if _stored(n) == name), name)
        limits[nova] = limit
    return limits


def in_use(
    session: Session, project_id: str, user_id: str | None = None, only_user: bool = False
) -> dict[str, int]:
    """What the project uses now (``key_pairs``: what ``user_id`` owns; 0 without one);
    with ``only_user``, what ``user_id`` alone uses."""
    counted = quota.usage(session, project_id, user_id)
    if only_user and user_id is not None:
        counted.update(quota.user_usage(session, project_id, user_id))
    used = {name: 0 for name in ALL_FIELDS}
    for name in ALL_FIELDS:
        used[name] = counted.get(_stored(name), 0)
    return used


def _check(name: str, limit: int, used: int, maximum: int = -1) -> None:
    if limit < -1:
        raise exceptions.Invalid(f"Quota limit {limit} for {name} must be -1 or greater.")
    # NOTE: Nova's rule: -1 (unlimited) is below no usage unless a maximum applies.
    if limit < used and (maximum != -1 or limit != -1):
        raise exceptions.Invalid(
            f"Quota limit {limit} for {name} must be greater than or equal to already used "
            f"and reserved {used}."
        )
    if maximum != -1 and limit > maximum:
        raise exceptions.Invalid(
            f"Quota limit {limit} for {name} must be less than or equal to {maximum}."
        )


def _verify_project(session: Session, project_id: str) -> None:
    try:
        projects.get(session, project_id)
    except exceptions.NotFound:
        raise exceptions.Invalid(f"Project ID {project_id} is not a valid project.") from None


def update_project(
    session: Session,
    cfg: Config,
    project_id: str,
    values: dict[str, int],
    force: bool = False,
) -> dict[str, int]:
    """Set limits of an existing project. Without ``force`` a limit below current usage is a
    400. Returns every limit afterwards."""
    _verify_project(session, project_id)
    used = in_use(session, project_id)
    for name, limit in values.items():
        _check(name, limit, 0 if force else used.get(name, 0))
    _store(session, project_id, values.items())
    return project_limits(session, cfg, project_id)


def update_user(
    session: Session,
    cfg: Config,
    project_id: str,
    user_id: str,
    values: dict[str, int],
    force: bool = False,
) -> dict[str, int]:
    """Limit ``user_id`` within the project: never above the project's limit and, without
    ``force``, never below what the user already uses. Returns the user's limits."""
    _verify_project(session, project_id)
    try:
        users.get(session, user_id)
    except exceptions.NotFound:
        raise exceptions.Invalid(f"User ID {user_id} is not a valid user.") from None
    ceiling = project_limits(session, cfg, project_id)
    used = in_use(session, project_id, user_id, only_user=True)
    for name, limit in values.items():
        _check(name, limit, 0 if force else used.get(name, 0), ceiling.get(name, -1))
    for name, limit in values.items():
        quota.set_user_limit(session, project_id, user_id, _stored(name), limit)
    return user_limits(session, cfg, project_id, user_id)


def reset_user(session: Session, project_id: str, user_id: str) -> None:
    """Forget the limits of ``user_id`` in the project; the project's apply again."""
    quota.delete_user_limits(session, project_id, user_id)


def update_class(
    session: Session, cfg: Config, class_name: str, values: dict[str, int]
) -> dict[str, int]:
    for name, limit in values.items():
        _check(name, limit, 0)
    _store(session, class_key(class_name), values.items())
    return class_limits(session, cfg, class_name)


def _store(session: Session, key: str, values: Iterable[tuple[str, int]]) -> None:
    for name, limit in values:
        quota.set_limit(session, key, _stored(name), limit)


def reset_project(session: Session, project_id: str) -> None:
    """Forget the project's own limits; the defaults apply again."""
    quota.delete_limits(session, project_id)
