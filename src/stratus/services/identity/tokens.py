"""Issuing, validating and revoking tokens.

``TokenService`` is also the ``TokenValidator`` every API in the process uses. Validation decrypts
the token, checks its expiry and the revocation events, and looks up the user, the scope and the
roles (so disabling a user or removing a role takes effect at once). Results are cached for
``[token] cache_time`` seconds; revocations made in this process clear the cache immediately.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy.orm import Session

from stratus.common import clock, exceptions
from stratus.common.config import Config
from stratus.common.context import AccessRule, RequestContext
from stratus.db.models.identity import Domain, Project, Role, User
from stratus.db.repositories.identity import revocations
from stratus.db.session import Database
from stratus.identity import token_format
from stratus.identity.token_format import MalformedToken, TokenPayload
from stratus.services.identity import catalog, keyring
from stratus.services.identity.authn import AuthRequest, resolve_scope, verify_identity
from stratus.services.identity.roles import effective_roles

LOG = logging.getLogger(__name__)
_CACHE_SIZE = 10000
# NOTE: Keystone's [revoke] expiration_buffer: events outlive the tokens they can match by this
# much, for clock skew between API processes and a [token] expiration lowered after issuing.
_REVOCATION_BUFFER = dt.timedelta(seconds=1800)


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """A validated token with everything needed to render it or build a request context."""

    token: str
    payload: TokenPayload
    user: dict[str, Any]
    project: dict[str, Any] | None
    domain: dict[str, Any] | None
    roles: tuple[tuple[str, str], ...]  # (id, name)
    app_cred: dict[str, Any] | None = None

    def context(self) -> RequestContext:
        p = self.payload
        return RequestContext(
            user_id=p.user_id,
            user_name=self.user["name"],
            user_domain_id=self.user["domain"]["id"],
            project_id=p.project_id,
            project_name=self.project["name"] if self.project else None,
            project_domain_id=self.project["domain"]["id"] if self.project else None,
            domain_id=p.domain_id,
            system_scope=p.system,
            roles=tuple(name.lower() for _id, name in self.roles),
            auth_token=self.token,
            audit_ids=p.audit_ids,
            expires_at=clock.isotime(_from_ts(p.expires_at), subsecond=True),
            application_credential_id=p.app_cred_id,
            access_rules=tuple(
                AccessRule(service=r["service"], method=r["method"], path=r["path"])
                for r in (self.app_cred or {}).get("access_rules", ())
            ),
        )


def _from_ts(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC).replace(tzinfo=None)


def _to_ts(value: dt.datetime) -> float:
    return value.replace(tzinfo=dt.UTC).timestamp()


def _ref(row: Domain) -> dict[str, str]:
    return {"id": row.id, "name": row.name}


class TokenService:
    """Issue, validate and revoke tokens (implements ``api.common.auth.TokenValidator``)."""

    def __init__(self, db: Database, cfg: Config) -> None:
        self.db = db
        self.cfg = cfg
        self.keys = keyring.KeyRing(cfg.fernet_tokens.key_repository)
        self._cache: OrderedDict[str, tuple[float, TokenInfo]] = OrderedDict()
        self._lock = threading.Lock()

    # -- issuing -------------------------------------------------------------------------------
    def issue(self, request: AuthRequest) -> TokenInfo:
        """Authenticate ``request`` and return a new token; ``NotAuthenticated`` on any failure."""
        with self.db.read() as session:
            identity = verify_identity(session, request, self)
            scope = resolve_scope(session, request, identity)
            now = time.time()
            expires = now + self.cfg.token.expiration
            if identity.expires_at is not None:
                expires = min(expires, identity.expires_at)
            audit = (token_format.new_audit_id(), *identity.audit_chain)
            payload = TokenPayload(
                user_id=identity.user.id,
                methods=identity.methods,
                issued_at=now,
                expires_at=expires,
                audit_ids=audit[:2],
                project_id=scope.project_id,
                domain_id=scope.domain_id,
                system=scope.system,
                app_cred_id=identity.app_cred_id,
            )
            token = token_format.seal(payload, self.keys.get())
            info = self._build_info(session, token, payload)
        LOG.info("issued %s-scoped token for user %s", payload.scope, payload.user_id)
        return info

    # -- validation ----------------------------------------------------------------------------
    def validate(self, token: str) -> RequestContext:
        """``TokenValidator``: the caller behind ``X-Auth-Token`` or 401."""
        return self.validate_info(token).context()

    def validate_info(self, token: str) -> TokenInfo:
        cached = self._cached(token)
        if cached is not None:
            return cached
        try:
            payload = token_format.unseal(token, self.keys.get())
        except MalformedToken:
            raise exceptions.NotAuthenticated(
                "The request you have made requires authentication."
            ) from None
        if payload.expires_at <= time.time():
            raise exceptions.NotAuthenticated("The token has expired.")
        with self.db.read() as session:
            info = self._build_info(session, token, payload)
        self._remember(token, info)
        return info

    def _build_info(self, session: Session, token: str, payload: TokenPayload) -> TokenInfo:
        user = session.get(User, payload.user_id)
        if user is None or not user.enabled:
            raise exceptions.NotAuthenticated("The user of this token is disabled or deleted.")
        user_domain = session.get(Domain, user.domain_id)
        if user_domain is None or not user_domain.enabled:
            raise exceptions.NotAuthenticated("The domain of this token's user is disabled.")
        project_ref, domain_ref, target, domains = self._scope_refs(session, payload)
        domains = (*domains, user.domain_id)
        if revocations.is_revoked(
            session,
            payload.audit_ids,
            payload.user_id,
            payload.project_id,
            domains,
            _from_ts(payload.issued_at),
        ):
            raise exceptions.NotAuthenticated("The token has been revoked.")
        app_cred = self._app_cred(session, payload)
        roles = effective_roles(session, payload.user_id, payload.scope, target)
        if app_cred is not None and app_cred["role_ids"]:
            roles = [r for r in roles if r.id in app_cred["role_ids"]]
        if payload.scope != "unscoped" and not roles:
            raise exceptions.NotAuthenticated(
                f"The user has no roles on the token's {payload.scope}."
            )
        return TokenInfo(
            token=token,
            payload=payload,
            user={
                "id": user.id,
                "name": user.name,
                "domain": _ref(user_domain),
                "password_expires_at": clock.isotime(user.password_expires_at, subsecond=True),
            },
            project=project_ref,
            domain=domain_ref,
            roles=tuple((r.id, r.name) for r in _sorted_roles(roles)),
            app_cred=app_cred,
        )

    def _scope_refs(
        self, session: Session, payload: TokenPayload
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None, tuple[str, ...]]:
        if payload.project_id:
            project = session.get(Project, payload.project_id)
            if project is None or not project.enabled:
                raise exceptions.NotAuthenticated(
                    "The project of this token is disabled or deleted."
                )
            pdomain = session.get(Domain, project.domain_id)
            if pdomain is None or not pdomain.enabled:
                raise exceptions.NotAuthenticated("The domain of this token's project is disabled.")
            ref = {"id": project.id, "name": project.name, "domain": _ref(pdomain)}
            return ref, None, project.id, (pdomain.id,)
        if payload.domain_id:
            domain = session.get(Domain, payload.domain_id)
            if domain is None or not domain.enabled:
                raise exceptions.NotAuthenticated(
                    "The domain of this token is disabled or deleted."
                )
            return None, _ref(domain), domain.id, (domain.id,)
        if payload.system:
            return None, None, payload.system, ()
        return None, None, None, ()

    def _app_cred(self, session: Session, payload: TokenPayload) -> dict[str, Any] | None:
        if not payload.app_cred_id:
            return None
        from stratus.db.models.identity import ApplicationCredential

        cred = session.get(ApplicationCredential, payload.app_cred_id)
        if cred is None:
            raise exceptions.NotAuthenticated(
                "The application credential of this token was deleted."
            )
        return {
            "id": cred.id,
            "name": cred.name,
            "restricted": not cred.unrestricted,
            "role_ids": cred.role_ids,
            "access_rules": [
                {"id": r.external_id, "service": r.service, "path": r.path, "method": r.method}
                for r in cred.access_rules
            ],
        }

    def _cached(self, token: str) -> TokenInfo | None:
        ttl = self.cfg.token.cache_time
        if ttl <= 0:
            return None
        with self._lock:
            hit = self._cache.get(token)
            if hit is None:
                return None
            stored, info = hit
            if time.monotonic() - stored > ttl or info.payload.expires_at <= time.time():
                del self._cache[token]
                return None
            return info

    def _remember(self, token: str, info: TokenInfo) -> None:
        if self.cfg.token.cache_time <= 0:
            return
        with self._lock:
            self._cache[token] = (time.monotonic(), info)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    def forget_all(self) -> None:
        """Drop cached validations (after any revocation or identity change in this process)."""
        with self._lock:
            self._cache.clear()

    # -- revocation ----------------------------------------------------------------------------
    def revoke(self, info: TokenInfo) -> None:
        """Revoke one token (``DELETE /v3/auth/tokens``)."""
        with self.db.write() as session:
            self._prune(session)
            revocations.add(
                session,
                audit_id=info.payload.audit_ids[0],
                expires_at=_from_ts(info.payload.expires_at),
            )
        self.forget_all()

    def revoke_for(
        self,
        session: Session,
        user_id: str | None = None,
        project_id: str | None = None,
        domain_id: str | None = None,
    ) -> None:
        """Revoke every token of a user, project or domain issued until now (in ``session``)."""
        self._prune(session)
        revocations.add(session, user_id=user_id, project_id=project_id, domain_id=domain_id)
        self.forget_all()

    def _prune(self, session: Session) -> None:
        """Delete the events no live token can match any more, as a new one is recorded.

        An event only matches tokens issued before it was recorded, and no token lives longer
        than ``[token] expiration`` (rescoped and application-credential tokens never outlive
        it), so an event older than that (plus Keystone's buffer) is dead weight.
        """
        cutoff = clock.utcnow() - dt.timedelta(seconds=self.cfg.token.expiration)
        pruned = revocations.prune(session, cutoff - _REVOCATION_BUFFER)
        if pruned:
            LOG.info("pruned %d expired token revocation events", pruned)

    # -- rendering -----------------------------------------------------------------------------
    def render(self, info: TokenInfo, with_catalog: bool = True) -> dict[str, Any]:
        """The ``{"token": {...}}`` body Keystone returns for issue and validate."""
        p = info.payload
        body: dict[str, Any] = {
            "methods": list(p.methods),
            "user": info.user,
            "audit_ids": list(p.audit_ids),
            "expires_at": clock.isotime(_from_ts(p.expires_at), subsecond=True),
            "issued_at": clock.isotime(_from_ts(p.issued_at), subsecond=True),
        }
        if info.project is not None:
            body["project"] = info.project
            body["is_domain"] = False
        if info.domain is not None:
            body["domain"] = info.domain
        if p.system:
            body["system"] = {p.system: True}
        if p.scope != "unscoped":
            body["roles"] = [{"id": rid, "name": name} for rid, name in info.roles]
            if with_catalog:
                with self.db.read() as session:
                    body["catalog"] = catalog.render(session)
        if info.app_cred is not None:
            body["application_credential"] = {
                k: info.app_cred[k] for k in ("id", "name", "restricted")
            }
            # NOTE: as Keystone: listed only when the credential has rules; services enforce them.
            if info.app_cred["access_rules"]:
                body["application_credential"]["access_rules"] = info.app_cred["access_rules"]
        return {"token": body}


def _sorted_roles(roles: list[Role]) -> list[Role]:
    return sorted(roles, key=lambda r: r.name)


__all__ = ["TokenInfo", "TokenService", "_to_ts"]
