"""First-start set-up of identity, as ``keystone-manage bootstrap`` does, plus openrc files.

Creates (when missing) the ``Default`` domain, the roles ``admin`` ⟹ ``member`` ⟹ ``reader``
(implied, so an admin also holds member and reader), the ``service`` role, the projects ``admin``,
``service`` and ``demo``, the user ``admin`` (admin on project ``admin`` and on the system) and the
user ``demo`` (member on ``demo``) and the service user ``stratus`` (``service_user.py``).
Passwords are random and written only to ``<data dir>/admin-openrc``, ``demo-openrc`` and
``service-credentials`` (mode 0600). Running it again changes nothing,
except that a user whose openrc file was deleted gets a new password and a new file.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import re
import shlex
from pathlib import Path

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids
from stratus.common.config import Config
from stratus.db.models.identity import Domain, User
from stratus.db.repositories.identity import assignments, catalog, domains, projects, roles, users
from stratus.db.repositories.identity.assignments import SYSTEM_ID
from stratus.db.session import Database
from stratus.identity import passwords
from stratus.services.identity import service_user

LOG = logging.getLogger(__name__)

DEFAULT_DOMAIN = "default"
ROLE_CHAIN = ("admin", "member", "reader")


@dataclasses.dataclass(frozen=True)
class BootstrapUser:
    name: str
    project: str
    role: str
    system_admin: bool = False


USERS = (
    BootstrapUser("admin", "admin", "admin", system_admin=True),
    BootstrapUser("demo", "demo", "member"),
)


def _ensure_domain(session: Session) -> Domain:
    row = session.get(Domain, DEFAULT_DOMAIN)
    if row is None:
        row = domains.create(session, DEFAULT_DOMAIN, "Default", "The default domain")
    return row


def _ensure_roles(session: Session) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in (*ROLE_CHAIN, "service"):
        role = roles.find_by_name(session, name)
        if role is None:
            role = roles.create(session, ids.hex_id(), name)
        found[name] = role.id
    for prior, implied in itertools.pairwise(ROLE_CHAIN):
        roles.add_implied(session, found[prior], found[implied])
    return found


def _ensure_project(session: Session, name: str, description: str) -> str:
    try:
        return projects.find_by_name(session, name, DEFAULT_DOMAIN).id
    except exceptions.NotFound:
        return projects.create(session, ids.hex_id(), name, DEFAULT_DOMAIN, description).id


def openrc_path(state_path: Path, user: str) -> Path:
    return state_path / f"{user}-openrc"


def write_openrc(cfg: Config, user: str, project: str, password: str) -> Path:
    """A shell file exporting the OS_* variables python-openstackclient reads. Mode 0600."""
    path = openrc_path(cfg.state_path, user)
    values = {
        "OS_AUTH_URL": cfg.endpoint_url(cfg.identity.port, "/v3"),
        "OS_USERNAME": user,
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": project,
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_IDENTITY_API_VERSION": "3",
        "OS_REGION_NAME": cfg.default.region_name,
        "OS_INTERFACE": "public",
    }
    text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(path, 0o600)
    return path


def read_openrc(path: Path) -> dict[str, str]:
    """The variables of an openrc file (used by tests and by ``stratus manage``)."""
    result = {}
    for line in path.read_text().splitlines():
        m = re.match(r"export (\w+)=(.*)$", line.strip())
        if m:
            result[m.group(1)] = shlex.split(m.group(2))[0] if m.group(2) else ""
    return result


def _ensure_user(
    session: Session, cfg: Config, spec: BootstrapUser, role_ids: dict[str, str]
) -> None:
    project_id = _ensure_project(session, spec.project, f"Bootstrap project {spec.project}")
    rc = openrc_path(cfg.state_path, spec.name)
    rounds = cfg.identity.password_hash_rounds
    try:
        user = users.find_by_name(session, spec.name, DEFAULT_DOMAIN)
    except exceptions.NotFound:
        user = None
    if user is None or not rc.exists():
        password = passwords.generate_password()
        if user is None:
            user = users.create(
                session,
                ids.hex_id(),
                spec.name,
                DEFAULT_DOMAIN,
                passwords.hash_password(password, rounds),
                project_id,
            )
        else:
            LOG.warning("%s is missing: giving user %s a new password", rc, spec.name)
            _set_password(user, password, rounds)
        write_openrc(cfg, spec.name, spec.project, password)
    else:
        # NOTE: keep the file in step with the configuration (ports, my_ip) but keep the password.
        current = read_openrc(rc)
        if current.get("OS_AUTH_URL") != cfg.endpoint_url(cfg.identity.port, "/v3"):
            write_openrc(cfg, spec.name, spec.project, current.get("OS_PASSWORD", ""))
    assignments.grant(session, "user", user.id, "project", project_id, role_ids[spec.role])
    if spec.system_admin:
        assignments.grant(session, "user", user.id, "system", SYSTEM_ID, role_ids["admin"])


def _set_password(user: User, password: str, rounds: int) -> None:
    user.password_hash = passwords.hash_password(password, rounds)
    user.password_created_at = clock.utcnow()


def run(db: Database, cfg: Config) -> None:
    """Idempotent identity bootstrap."""
    with db.write() as session:
        _ensure_domain(session)
        role_ids = _ensure_roles(session)
        _ensure_project(session, "service", "Service project")
        for spec in USERS:
            _ensure_user(session, cfg, spec, role_ids)
        service_user.ensure(session, cfg, role_ids, DEFAULT_DOMAIN)
        catalog.ensure_region(session, cfg.default.region_name)
