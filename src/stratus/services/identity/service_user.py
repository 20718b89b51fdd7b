"""The service user ``stratus`` (part of the identity bootstrap): what compute agents log in as.

Nova and Neutron each get a service user in the installation guides; Stratus has one for all of
its compute hosts. It holds only the ``service`` role on project ``service`` (Nova's and
Neutron's ``service_token_roles``), never ``admin``: its password sits on every compute host, and
a host that is broken into must not make its intruder a cloud admin. The policies let the
``service`` role do what compute hosts need (show and download any image) and nothing else;
releases before this one granted ``admin`` too, which ``ensure`` takes away. Its random password
is only in ``<data dir>/service-credentials`` (see ``stratus.common.service_credentials``). Like
the openrc files: a deleted file gets the user a new password and a new file.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions, ids, service_credentials
from stratus.common.config import Config
from stratus.db.repositories.identity import assignments, projects, users
from stratus.identity import passwords
from stratus.services.identity.password_check import IGNORE_LOCKOUT_OPTION

LOG = logging.getLogger(__name__)

ROLES = ("service",)
# held by the service user in earlier releases; revoked
REVOKED_ROLES = ("admin",)


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
    if IGNORE_LOCKOUT_OPTION not in user.options:
        # NOTE: anyone who knows its name could lock the service user out and stop compute
        # hosts fetching images; its random password makes lockout pointless (Keystone advises
        # this option for service users).
        user.options = {**user.options, IGNORE_LOCKOUT_OPTION: True}
    for role in ROLES:
        assignments.grant(session, "user", user.id, "project", project_id, role_ids[role])
    for role in REVOKED_ROLES:
        if assignments.revoke(session, "user", user.id, "project", project_id, role_ids[role]):
            LOG.warning("the service user %s no longer holds role %s", su.username, role)
