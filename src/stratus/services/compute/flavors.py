"""Flavors: create/delete, description, extra specs and access to private flavors.

Rules as Nova's: flavor ids and names are unique (409); a flavor created without an id gets a
UUID; private flavors are used by projects given access (``addTenantAccess``), public flavors
need none (adding access to one is a 409). The servers API turns a flavor reference into a wire
``Flavor`` with :func:`lookup`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import exceptions, ids
from stratus.db.models.compute import Flavor
from stratus.db.repositories.compute import flavors as repo
from stratus.db.repositories.compute.flavors import Viewer
from stratus.db.repositories.identity import projects
from stratus.objects import flavor as wire

# The installation guides' flavors, created on first start: (id, name, vCPUs, MB, GB).
DEFAULT_FLAVORS = (
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80),
    ("5", "m1.xlarge", 8, 16384, 160),
)


@dataclasses.dataclass
class FlavorSpec:
    """What ``POST /flavors`` asks for, already validated by the API schema."""

    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    flavorid: str | None = None
    ephemeral_gb: int = 0
    swap: int = 0
    rxtx_factor: float = 1.0
    is_public: bool = True
    description: str | None = None


def bootstrap(session: Session) -> int:
    """Create the default flavors on first start (when there is no flavor at all), so a
    flavor an operator deleted on purpose does not come back; returns how many were made."""
    if repo.any_flavor(session):
        return 0
    created = 0
    for flavorid, name, vcpus, ram, disk in DEFAULT_FLAVORS:
        if repo.find(session, flavorid) is not None or repo.name_taken(session, name):
            continue
        session.add(Flavor(flavorid=flavorid, name=name, vcpus=vcpus, memory_mb=ram, root_gb=disk))
        created += 1
    session.flush()
    return created


def create(session: Session, spec: FlavorSpec) -> Flavor:
    """Insert a flavor; ``Conflict`` when its id or name is taken."""
    flavorid = spec.flavorid if spec.flavorid is not None else ids.uuid_id()
    if repo.find(session, flavorid) is not None:
        raise exceptions.Conflict(f"Flavor with ID {flavorid} already exists.")
    if repo.name_taken(session, spec.name):
        raise exceptions.Conflict(f"Flavor with name {spec.name} already exists.")
    row = Flavor(
        flavorid=flavorid,
        name=spec.name,
        vcpus=spec.vcpus,
        memory_mb=spec.memory_mb,
        root_gb=spec.root_gb,
        ephemeral_gb=spec.ephemeral_gb,
        swap=spec.swap,
        rxtx_factor=spec.rxtx_factor,
        is_public=spec.is_public,
        description=spec.description,
    )
    session.add(row)
    session.flush()
    return row


def set_description(session: Session, flavorid: str, description: str | None) -> Flavor:
    row = repo.get(session, flavorid)
    row.description = description
    session.flush()
    return row


def delete(session: Session, flavorid: str) -> None:
    """Delete for real; servers keep their own copy of the flavor they were built with."""
    repo.delete(session, repo.get(session, flavorid))


def to_object(row: Flavor, extra_specs: dict[str, str]) -> wire.Flavor:
    return wire.Flavor(
        flavorid=row.flavorid,
        name=row.name,
        vcpus=row.vcpus,
        memory_mb=row.memory_mb,
        root_gb=row.root_gb,
        ephemeral_gb=row.ephemeral_gb,
        swap=row.swap,
        rxtx_factor=row.rxtx_factor,
        is_public=row.is_public,
        disabled=row.disabled,
        description=row.description,
        extra_specs=dict(extra_specs),
    )


def lookup(session: Session, flavorid: str, project_id: str | None, is_admin: bool) -> wire.Flavor:
    """The flavor a caller may boot with, as a wire object; ``NotFound`` if it is not
    visible to ``project_id`` (private without access)."""
    row = repo.get(session, flavorid, Viewer(project_id, is_admin))
    return to_object(row, repo.extra_specs(session, row.id))


# -- extra specs --------------------------------------------------------------------------------
def stringify_specs(specs: dict[str, Any]) -> dict[str, str]:
    """Extra spec values may be sent as numbers or booleans; they are stored as strings."""
    out: dict[str, str] = {}
    for key, value in specs.items():
        # NOTE: bool is an int subclass; str(True) is "True", as Nova stores it.
        out[key] = str(value) if isinstance(value, int | float) else value
    return out


def get_spec(session: Session, flavorid: str, key: str) -> str:
    row = repo.get(session, flavorid)
    specs = repo.extra_specs(session, row.id)
    if key not in specs:
        raise exceptions.NotFound(f"Flavor {flavorid} has no extra specs with key {key}.")
    return specs[key]


def set_specs(session: Session, flavorid: str, specs: dict[str, str]) -> None:
    row = repo.get(session, flavorid)
    repo.set_extra_specs(session, row.id, specs)


def delete_spec(session: Session, flavorid: str, key: str) -> None:
    row = repo.get(session, flavorid)
    if not repo.delete_extra_spec(session, row.id, key):
        raise exceptions.NotFound(f"Flavor {flavorid} has no extra specs with key {key}.")


# -- access to private flavors ------------------------------------------------------------------
def access_list(session: Session, flavorid: str) -> list[str]:
    row = repo.get(session, flavorid)
    if row.is_public:
        raise exceptions.NotFound("Access list not available for public flavors.")
    return repo.projects_with_access(session, row.id)


def _verify_project(session: Session, project_id: str) -> None:
    try:
        projects.get(session, project_id)
    except exceptions.NotFound:
        raise exceptions.Invalid(f"Project ID {project_id} is not a valid project.") from None


def add_access(
    session: Session, flavorid: str, project_id: str, reject_public: bool = True
) -> list[str]:
    """Let ``project_id`` use a private flavor. ``reject_public`` (2.7+): 409 for a public one."""
    _verify_project(session, project_id)
    row = repo.get(session, flavorid)
    if row.is_public and reject_public:
        raise exceptions.Conflict("Can not add access to a public flavor.")
    if not repo.add_access(session, row.id, project_id):
        raise exceptions.Conflict(
            f"Flavor access already exists for flavor {flavorid} and project {project_id} "
            "combination."
        )
    return repo.projects_with_access(session, row.id)


def remove_access(session: Session, flavorid: str, project_id: str) -> list[str]:
    _verify_project(session, project_id)
    row = repo.get(session, flavorid)
    if not repo.remove_access(session, row.id, project_id):
        raise exceptions.NotFound(
            f"Flavor access not found for {flavorid} / {project_id} combination."
        )
    return repo.projects_with_access(session, row.id)
