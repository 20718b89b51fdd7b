"""``/v3/users/{user_id}/application_credentials``: create (secret shown once), list,
show, delete."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.db.models.identity import ApplicationCredential, Role
from stratus.db.repositories.identity import credentials
from stratus.services.identity import app_credentials as service

router = Router("identity")

_BASE = "/v3/users/{user_id}/application_credentials"


def _view(req: ApiRequest, row: ApplicationCredential, roles: list[Role]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "user_id": row.user_id,
        "project_id": row.project_id,
        "system": row.system,
        # NOTE: Keystone prints this one without a zone suffix (tempest compares isoformat()).
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "unrestricted": row.unrestricted,
        "roles": [{"id": r.id, "name": r.name, "domain_id": r.domain_id or None} for r in roles],
        "access_rules": [views.access_rule(r) for r in row.access_rules],
        "links": {
            "self": views.link(req, f"/v3/users/{row.user_id}/application_credentials/{row.id}")
        },
    }


@router.route(
    "POST",
    _BASE,
    policy="identity:create_application_credential",
    body=schemas.CREATE_APP_CRED,
    status=201,
)
def create_application_credential(req: ApiRequest) -> dict[str, Any]:
    """Create an application credential for the caller's current project."""
    caller = service.Caller(
        user_id=req.ctx.user_id or "",
        project_id=req.ctx.project_id,
        system=req.ctx.system_scope,
        app_cred_id=req.ctx.application_credential_id,
    )
    with req.state.db.write() as session:
        row, secret, roles = service.create(
            session,
            caller,
            req.path["user_id"],
            req.body["application_credential"],
            params.rounds(req),
        )
        body = _view(req, row, roles)
    body["secret"] = secret
    return {"application_credential": body}


@router.route("GET", _BASE, policy="identity:list_application_credentials")
def list_application_credentials(req: ApiRequest) -> dict[str, Any]:
    """List a user's application credentials (filter: name)."""
    with req.state.db.read() as session:
        rows = credentials.list_app_creds(session, req.path["user_id"], params.text(req, "name"))
        items = [_view(req, r, service.roles_of(session, r)) for r in rows]
    return views.collection(req, "application_credentials", items)


@router.route("GET", _BASE + "/{app_cred_id}", policy="identity:get_application_credential")
def show_application_credential(req: ApiRequest) -> dict[str, Any]:
    """Show an application credential (never its secret)."""
    with req.state.db.read() as session:
        row = credentials.get_app_cred(session, req.path["user_id"], req.path["app_cred_id"])
        return {"application_credential": _view(req, row, service.roles_of(session, row))}


@router.route(
    "DELETE", _BASE + "/{app_cred_id}", policy="identity:delete_application_credential", status=204
)
def delete_application_credential(req: ApiRequest) -> None:
    """Delete an application credential; tokens issued with it stop working."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.delete(session, state.tokens, req.path["user_id"], req.path["app_cred_id"])
    state.tokens.forget_all()
