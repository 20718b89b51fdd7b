"""Authentication methods (password, token, application credential) and scope resolution.

Input is the ``auth`` object of ``POST /v3/auth/tokens`` after schema validation. Every failure
is a ``NotAuthenticated`` with a message that does not tell an attacker which part was wrong,
except for scope problems, which Keystone also names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.db.models.identity import ApplicationCredential, Domain, Project, User
from stratus.db.repositories.identity import domains, projects, users
from stratus.db.repositories.identity.assignments import SYSTEM_ID
from stratus.services.identity import password_check
from stratus.services.identity.roles import effective_roles

if TYPE_CHECKING:
    from stratus.services.identity.tokens import TokenService

_GENERIC = password_check.GENERIC


@dataclasses.dataclass(frozen=True)
class AuthRequest:
    """``auth.identity`` and ``auth.scope`` from the request body."""

    identity: dict[str, Any]
    scope: dict[str, Any] | str | None = None


@dataclasses.dataclass(frozen=True)
class Identity:
    user: User
    methods: tuple[str, ...]
    expires_at: float | None = None
    audit_chain: tuple[str, ...] = ()
    app_cred_id: str | None = None
    app_cred_project_id: str | None = None
    app_cred_system: str | None = None
    rescoped_from: Any = None


@dataclasses.dataclass(frozen=True)
class Scope:
    project_id: str | None = None
    domain_id: str | None = None
    system: str | None = None


def _domain_of(session: Session, ref: dict[str, Any] | None) -> Domain:
    if not ref:
        raise exceptions.Invalid("A domain id or name is required to look up a name.")
    try:
        return domains.find(session, ref.get("id"), ref.get("name"))
    except exceptions.NotFound:
        raise exceptions.NotAuthenticated(_GENERIC) from None


def _lookup_user(session: Session, ref: dict[str, Any]) -> User | None:
    """The user ``ref`` names, or None when there is none (unknown id, name or domain)."""
    try:
        if ref.get("id"):
            return users.get(session, ref["id"])
        if ref.get("name"):
            domain = _domain_of(session, ref.get("domain"))
            return users.find_by_name(session, ref["name"], domain.id)
    except (exceptions.NotFound, exceptions.NotAuthenticated):
        pass
    return None


def _check_enabled(session: Session, user: User) -> None:
    domain = session.get(Domain, user.domain_id)
    if not user.enabled or domain is None or not domain.enabled:
        raise exceptions.NotAuthenticated(_GENERIC)
    if user.password_expires_at is not None and user.password_expires_at <= clock.utcnow():
        raise exceptions.NotAuthenticated("The password is expired and needs to be changed.")


def _password(session: Session, data: dict[str, Any], tokens: TokenService) -> Identity:
    ref = data.get("user") or {}
    user = _lookup_user(session, ref)
    # NOTE: unknown users cost one bcrypt check too, and every check waits for the gate.
    password_check.check_password(tokens.db, tokens.cfg, user, ref.get("password", ""))
    assert user is not None
    _check_enabled(session, user)
    password_check.forget_failures(tokens.db, user)
    return Identity(user=user, methods=("password",))


def _token(session: Session, data: dict[str, Any], tokens: TokenService) -> Identity:
    info = tokens.validate_info(str(data.get("id", "")))
    p = info.payload
    if p.scope != "unscoped" and not tokens.cfg.token.allow_rescope_scoped_token:
        raise exceptions.Forbidden("Rescoping a scoped token is not allowed.")
    user = session.get(User, p.user_id)
    if user is None:
        raise exceptions.NotAuthenticated(_GENERIC)
    methods = tuple(dict.fromkeys((*p.methods, "token")))
    chain = (p.audit_ids[-1],) if len(p.audit_ids) > 1 else (p.audit_ids[0],)
    return Identity(
        user=user,
        methods=methods,
        expires_at=p.expires_at,
        audit_chain=chain,
        app_cred_id=p.app_cred_id,
        rescoped_from=p,
    )


def _find_app_cred(session: Session, data: dict[str, Any]) -> ApplicationCredential | None:
    if data.get("id"):
        return session.get(ApplicationCredential, data["id"])
    if data.get("name") and data.get("user"):
        user = _lookup_user(session, data["user"])
        if user is not None:
            query = session.query(ApplicationCredential).filter_by(
                user_id=user.id, name=data["name"]
            )
            return query.first()
    return None


def _app_cred(session: Session, data: dict[str, Any], tokens: TokenService) -> Identity:
    cred = _find_app_cred(session, data)
    secret = str(data.get("secret", ""))
    # NOTE: like a password, an unknown credential costs one bcrypt check behind the gate.
    if not password_check.verify_secret(tokens.cfg, secret, cred.secret_hash if cred else None):
        raise exceptions.NotAuthenticated(_GENERIC)
    assert cred is not None
    if cred.expires_at is not None and cred.expires_at <= clock.utcnow():
        raise exceptions.NotAuthenticated("The application credential has expired.")
    owner = session.get(User, cred.user_id)
    if owner is None:
        raise exceptions.NotAuthenticated(_GENERIC)
    _check_enabled(session, owner)
    expires = cred.expires_at.replace(tzinfo=dt.UTC).timestamp() if cred.expires_at else None
    return Identity(
        user=owner,
        methods=("application_credential",),
        expires_at=expires,
        app_cred_id=cred.id,
        app_cred_project_id=cred.project_id,
        app_cred_system=cred.system,
    )


def verify_identity(session: Session, request: AuthRequest, tokens: TokenService) -> Identity:
    methods = list(request.identity.get("methods") or [])
    if len(methods) != 1:
        raise exceptions.NotAuthenticated(
            "Exactly one authentication method is supported per request."
        )
    method = methods[0]
    data = request.identity.get(method)
    if not isinstance(data, dict):
        raise exceptions.Invalid(
            f"Authentication method {method} requires an object named {method!r}."
        )
    if method == "password":
        return _password(session, data, tokens)
    if method == "token":
        return _token(session, data, tokens)
    if method == "application_credential":
        return _app_cred(session, data, tokens)
    raise exceptions.NotAuthenticated(f"Unsupported authentication method: {method}.")


def _explicit_scope(session: Session, scope: dict[str, Any]) -> Scope:
    if "project" in scope:
        ref = scope["project"] or {}
        try:
            if ref.get("id"):
                project = projects.get(session, ref["id"])
            else:
                domain = _domain_of(session, ref.get("domain"))
                project = projects.find_by_name(session, str(ref.get("name", "")), domain.id)
        except exceptions.NotFound:
            raise exceptions.NotAuthenticated(
                "Could not find the requested project to scope to."
            ) from None
        return Scope(project_id=project.id)
    if "domain" in scope:
        domain = _domain_of(session, scope["domain"])
        return Scope(domain_id=domain.id)
    if "system" in scope:
        if scope["system"] != {"all": True}:
            raise exceptions.Invalid('System scope must be {"all": true}.')
        return Scope(system="all")
    raise exceptions.Invalid("Scope must name a project, a domain or the system.")


def _check_target(session: Session, user: User, scope: Scope) -> None:
    if scope.project_id:
        project = session.get(Project, scope.project_id)
        domain = session.get(Domain, project.domain_id) if project else None
        if project is None or not project.enabled or domain is None or not domain.enabled:
            raise exceptions.NotAuthenticated(
                f"Project {scope.project_id} is disabled or does not exist."
            )
        kind, target = "project", scope.project_id
    elif scope.domain_id:
        domain = session.get(Domain, scope.domain_id)
        if domain is None or not domain.enabled:
            raise exceptions.NotAuthenticated(
                f"Domain {scope.domain_id} is disabled or does not exist."
            )
        kind, target = "domain", scope.domain_id
    else:
        kind, target = "system", SYSTEM_ID
    if not effective_roles(session, user.id, kind, target):
        raise exceptions.NotAuthenticated(f"User {user.id} has no access to {kind} {target}.")


def resolve_scope(session: Session, request: AuthRequest, identity: Identity) -> Scope:
    """The scope the new token gets; raises if the user has no role there."""
    if identity.app_cred_id and not identity.rescoped_from:
        if request.scope not in (None, "unscoped") and isinstance(request.scope, dict):
            wanted = _explicit_scope(session, request.scope)
            if wanted.project_id != identity.app_cred_project_id:
                raise exceptions.NotAuthenticated("Application credentials cannot request a scope.")
        scope = Scope(project_id=identity.app_cred_project_id, system=identity.app_cred_system)
    elif isinstance(request.scope, dict) and request.scope:
        scope = _explicit_scope(session, request.scope)
    elif request.scope == "unscoped" or identity.rescoped_from is not None:
        return Scope()
    else:
        default = identity.user.default_project_id
        if not default:
            return Scope()
        candidate = Scope(project_id=default)
        try:
            _check_target(session, identity.user, candidate)
        except exceptions.NotAuthenticated:
            return Scope()
        return candidate
    _check_target(session, identity.user, scope)
    return scope


__all__ = ["AuthRequest", "Identity", "Scope", "resolve_scope", "verify_identity"]
