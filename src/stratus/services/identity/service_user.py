"""The service user ``stratus`` (part of the identity bootstrap): what compute agents log in as.

Nova and Neutron each get a service user in the installation guides (``openstack user create
nova`` + ``openstack role add --project service --user nova admin``); Stratus has one for all of
its services. It holds ``admin`` and ``service`` on project ``service``. Its random password is
only in ``<data dir>/service-credentials`` (see ``stratus.common.service_credentials``). Like the
openrc files: a deleted file gets the user a new password and a new file.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids, service_credentials
from stratus.common.config import Config
from stratus.db.repositories.identity import assignments, projects, users
from stratus.identity import passwords

LOG = logging.getLogger(__name__)

ROLES = ("admin", "service")


def ensure(session: Session, cfg: Config, role_ids: dict[str, str], domain_id: str) -> None:
    """Create the service user (or give it a new password when its file is gone). Idempotent."""
    su = cfg.service_user
    try:
        project_id = projects.find_by_name(session, su.project_name, domain_id).id
    except exceptions.NotFound:
        project_id = projects.create(
            session, ids.hex_id(), su.project_name, domain_id, "Service project"
        ).id
    path = service_credentials.path_of(cfg)
    rounds = cfg.identity.password_hash_rounds
    try:
        user = users.find_by_name(session, su.username, domain_id)
    except exceptions.NotFound:
        user = None
    if user is None or service_credentials.read_password(path) is None:
        password = passwords.generate_password()
        if user is None:
            user = users.create(
                session,
                ids.hex_id(),
                su.username,
                domain_id,
                passwords.hash_password(password, rounds),
                project_id,
            )
        else:
            LOG.warning("%s is missing: giving user %s a new password", path, su.username)
            user.password_hash = passwords.hash_password(password, rounds)
            user.password_created_at = clock.utcnow()
        service_credentials.write(path, cfg, password)
    for role in ROLES:
        assignments.grant(session, "user", user.id, "project", project_id, role_ids[role])
