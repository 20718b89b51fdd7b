"""``/v3/credentials`` and OS-EC2 (``/v3/users/{user_id}/credentials/OS-EC2``)."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.db.models.identity import Credential
from stratus.db.repositories.identity import credentials
from stratus.services.identity import credentials as service
from stratus.services.identity.credentials import Ec2Credential

router = Router("identity")


def _target(user_id: str | None) -> dict[str, Any]:
    return {"target": {"credential": {"user_id": user_id}}}


def _view(req: ApiRequest, row: Credential) -> dict[str, Any]:
    return views.credential(req, row, identity_state(req).credentials.decrypt(row.encrypted_blob))


@router.route("GET", "/v3/credentials", policy="identity:list_credentials")
def list_credentials(req: ApiRequest) -> dict[str, Any]:
    """List credentials (filters: user_id, type); non-admins see only their own."""
    user_id = params.text(req, "user_id")
    if not params.is_admin(req):
        if user_id is not None and user_id != req.ctx.user_id:
            return views.collection(req, "credentials", [])
        user_id = req.ctx.user_id
    with req.state.db.read() as session:
        rows = credentials.list_(session, user_id=user_id, cred_type=params.text(req, "type"))
        return views.collection(req, "credentials", [_view(req, r) for r in rows])


@router.route("POST", "/v3/credentials", body=schemas.CREATE_CREDENTIAL, status=201)
def create_credential(req: ApiRequest) -> dict[str, Any]:
    """Create a credential; the blob is encrypted at rest."""
    body = req.body["credential"]
    req.authorize("identity:create_credential", _target(body["user_id"]))
    with req.state.db.write() as session:
        return {
            "credential": _view(req, service.create(session, identity_state(req).credentials, body))
        }


@router.route("GET", "/v3/credentials/{credential_id}")
def show_credential(req: ApiRequest) -> dict[str, Any]:
    """Show a credential (admins, or its owner)."""
    with req.state.db.read() as session:
        row = credentials.get(session, req.path["credential_id"])
        req.authorize("identity:get_credential", _target(row.user_id))
        return {"credential": _view(req, row)}


@router.route("PATCH", "/v3/credentials/{credential_id}", body=schemas.UPDATE_CREDENTIAL)
def update_credential(req: ApiRequest) -> dict[str, Any]:
    """Update a credential (owners may not give it away)."""
    patch = req.body["credential"]
    with req.state.db.write() as session:
        row = credentials.get(session, req.path["credential_id"])
        req.authorize("identity:update_credential", _target(row.user_id))
        req.authorize("identity:update_credential", _target(patch.get("user_id", row.user_id)))
        row = service.update(session, identity_state(req).credentials, row.id, patch)
        return {"credential": _view(req, row)}


@router.route("DELETE", "/v3/credentials/{credential_id}", status=204)
def delete_credential(req: ApiRequest) -> None:
    """Delete a credential."""
    with req.state.db.write() as session:
        row = credentials.get(session, req.path["credential_id"])
        req.authorize("identity:delete_credential", _target(row.user_id))
        service.delete(session, row.id)


# -- OS-EC2 -------------------------------------------------------------------------------------
_EC2 = "/v3/users/{user_id}/credentials/OS-EC2"


def _ec2_view(req: ApiRequest, cred: Ec2Credential) -> dict[str, Any]:
    return {
        "user_id": cred.user_id,
        "tenant_id": cred.project_id,
        "access": cred.access,
        "secret": cred.secret,
        "trust_id": cred.trust_id,
        "links": {
            "self": views.link(req, f"/v3/users/{cred.user_id}/credentials/OS-EC2/{cred.access}")
        },
    }


@router.route(
    "POST", _EC2, policy="identity:ec2_create_credential", body=schemas.CREATE_EC2, status=201
)
def create_ec2_credential(req: ApiRequest) -> dict[str, Any]:
    """Create an EC2 access/secret pair for a project."""
    cipher = identity_state(req).credentials
    with req.state.db.write() as session:
        cred = service.create_ec2(session, cipher, req.path["user_id"], req.body["tenant_id"])
    return {"credential": _ec2_view(req, cred)}


@router.route("GET", _EC2, policy="identity:ec2_list_credentials")
def list_ec2_credentials(req: ApiRequest) -> dict[str, Any]:
    """List a user's EC2 credentials."""
    with req.state.db.read() as session:
        creds = service.list_ec2(session, identity_state(req).credentials, req.path["user_id"])
    return views.collection(req, "credentials", [_ec2_view(req, c) for c in creds])


@router.route("GET", _EC2 + "/{access}")
def show_ec2_credential(req: ApiRequest) -> dict[str, Any]:
    """Show one EC2 credential."""
    req.authorize("identity:ec2_get_credential", _target(req.path["user_id"]))
    with req.state.db.read() as session:
        cred = service.get_ec2(
            session, identity_state(req).credentials, req.path["user_id"], req.path["access"]
        )
    return {"credential": _ec2_view(req, cred)}


@router.route("DELETE", _EC2 + "/{access}", status=204)
def delete_ec2_credential(req: ApiRequest) -> None:
    """Delete one EC2 credential."""
    req.authorize("identity:ec2_delete_credential", _target(req.path["user_id"]))
    with req.state.db.write() as session:
        service.delete_ec2(session, req.path["user_id"], req.path["access"])
