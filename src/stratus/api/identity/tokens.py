"""``/v3/auth/*``: issue, validate, check and revoke tokens; the caller's catalog and scopes."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.identity import schemas, views
from stratus.api.identity.state import identity_state
from stratus.common import exceptions
from stratus.services.identity import catalog
from stratus.services.identity.authn import AuthRequest
from stratus.services.identity.scopes import has_system_roles, list_auth_domains, list_auth_projects
from stratus.services.identity.tokens import TokenInfo

router = Router("identity")


def _no_catalog(req: ApiRequest) -> bool:
    return "nocatalog" in req.query and req.query.get("nocatalog", "").lower() not in ("false", "0")


@router.route("POST", "/v3/auth/tokens", auth=False, body=schemas.AUTH, status=201)
def issue_token(req: ApiRequest) -> Reply:
    """Authenticate and issue a token (password, token or application credential)."""
    state = identity_state(req)
    auth = req.body["auth"]
    info = state.tokens.issue(AuthRequest(identity=auth["identity"], scope=auth.get("scope")))
    body = state.tokens.render(info, with_catalog=not _no_catalog(req))
    return Reply(body, status=201, headers={"X-Subject-Token": info.token})


def _subject(req: ApiRequest) -> TokenInfo:
    subject = req.headers.get("x-subject-token")
    if not subject:
        raise exceptions.NotFound("X-Subject-Token header is required.")
    state = identity_state(req)
    caller = req.ctx
    try:
        info = state.tokens.validate_info(subject)
    except exceptions.NotAuthenticated as exc:
        # NOTE: the caller may be entitled to learn the subject is invalid only after policy
        # passes; admins and the token's own user both get Keystone's 404.
        if caller.auth_token == subject:
            raise
        raise exceptions.NotFound(f"Could not find token: {exc.message}") from None
    return info


def _target(info: TokenInfo) -> dict[str, Any]:
    return {"target": {"token": {"user_id": info.payload.user_id}}, "user_id": info.payload.user_id}


@router.route("GET", "/v3/auth/tokens")
def validate_token(req: ApiRequest) -> Reply:
    """Validate the token in X-Subject-Token and show it."""
    info = _subject(req)
    req.authorize("identity:validate_token", _target(info))
    body = identity_state(req).tokens.render(info, with_catalog=not _no_catalog(req))
    return Reply(body, status=200, headers={"X-Subject-Token": info.token})


@router.route("HEAD", "/v3/auth/tokens")
def check_token(req: ApiRequest) -> Reply:
    """Check the token in X-Subject-Token (200 when valid)."""
    info = _subject(req)
    req.authorize("identity:check_token", _target(info))
    return Reply(None, status=200, headers={"X-Subject-Token": info.token})


@router.route("DELETE", "/v3/auth/tokens", status=204)
def revoke_token(req: ApiRequest) -> None:
    """Revoke the token in X-Subject-Token."""
    info = _subject(req)
    req.authorize("identity:revoke_token", _target(info))
    identity_state(req).tokens.revoke(info)


@router.route("GET", "/v3/auth/catalog", policy="identity:get_auth_catalog")
def auth_catalog(req: ApiRequest) -> dict[str, Any]:
    """The service catalog of the caller's token."""
    info = identity_state(req).tokens.validate_info(req.ctx.auth_token or "")
    if info.payload.scope == "unscoped":
        raise exceptions.Forbidden("The service catalog is only available to scoped tokens.")
    with req.state.db.read() as session:
        entries = catalog.render(session)
    return {"catalog": entries, "links": {"self": str(req.raw.url), "previous": None, "next": None}}


@router.route("GET", "/v3/auth/projects", policy="identity:get_auth_projects")
def auth_projects(req: ApiRequest) -> dict[str, Any]:
    """Projects the caller may scope a token to."""
    with req.state.db.read() as session:
        rows = list_auth_projects(session, req.ctx.user_id or "")
        return views.collection(req, "projects", [views.project(req, r) for r in rows])


@router.route("GET", "/v3/auth/domains", policy="identity:get_auth_domains")
def auth_domains(req: ApiRequest) -> dict[str, Any]:
    """Domains the caller may scope a token to."""
    with req.state.db.read() as session:
        rows = list_auth_domains(session, req.ctx.user_id or "")
        return views.collection(req, "domains", [views.domain(req, r) for r in rows])


@router.route("GET", "/v3/auth/system", policy="identity:get_auth_system")
def auth_system(req: ApiRequest) -> dict[str, Any]:
    """Whether the caller may get a system-scoped token."""
    with req.state.db.read() as session:
        allowed = has_system_roles(session, req.ctx.user_id or "")
    return {"system": [{"all": True}] if allowed else [], "links": {"self": str(req.raw.url)}}
