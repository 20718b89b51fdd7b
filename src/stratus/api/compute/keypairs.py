"""``/os-keypairs``: import or generate, list, show, delete — per user.

Microversions: ``type`` (ssh/x509) and 201/204 status codes from 2.2, ``user_id`` (admin acting
for another user) from 2.10, ``limit``/``marker`` paging from 2.35. Another user's key pair is a
404, like a missing one.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import microversion
from stratus.api.compute import param_types as pt
from stratus.common import exceptions
from stratus.db.models.compute import KeyPair
from stratus.db.repositories.compute import keypairs as repo
from stratus.services.compute import keypairs as service

router = Router("compute")

_FIELDS: dict[str, Any] = {"name": pt.NAME, "public_key": {"type": "string"}}
CREATE = schemas.wrapped("keypair", schemas.obj(_FIELDS, required=("name",)))
CREATE_V22 = schemas.wrapped(
    "keypair",
    schemas.obj(
        {**_FIELDS, "type": {"type": "string", "enum": list(service.KEY_TYPES)}}, ("name",)
    ),
)
CREATE_V210 = schemas.wrapped(
    "keypair",
    schemas.obj(
        {
            **_FIELDS,
            "type": {"type": "string", "enum": list(service.KEY_TYPES)},
            "user_id": {"type": "string", "minLength": 1, "maxLength": 255},
        },
        ("name",),
    ),
)


def _user(req: ApiRequest, rule: str, requested: str | None = None) -> str:
    """The user whose key pairs are meant, after the policy check (2.10 ``user_id``)."""
    if requested is None and microversion.of(req) >= (2, 10):
        requested = req.query.get("user_id") or None
    user_id = requested or req.ctx.user_id
    if user_id is None:
        raise exceptions.Forbidden("A user-scoped token is required.")
    req.authorize(rule, {"user_id": user_id})
    return user_id


def _typed(req: ApiRequest, body: dict[str, Any], row: KeyPair) -> dict[str, Any]:
    if microversion.of(req) >= (2, 2):
        body["type"] = row.type
    return body


def _schema(req: ApiRequest) -> dict[str, Any]:
    version = microversion.of(req)
    if version >= (2, 10):
        return CREATE_V210
    return CREATE_V22 if version >= (2, 2) else CREATE


@router.route("POST", "/v2.1/os-keypairs")
def create_keypair(req: ApiRequest) -> Reply:
    """Import a public key, or generate a key pair and return its private key once."""
    schemas.validate(_schema(req), req.body)
    spec = req.body["keypair"]
    user_id = _user(req, "os_compute_api:os-keypairs:create", spec.get("user_id"))
    with req.state.db.write() as session:
        made = service.create(
            session,
            req.state.config,
            req.ctx.project_id or "",
            user_id,
            spec["name"],
            spec.get("type", service.SSH),
            spec.get("public_key"),
        )
    row = made.row
    body: dict[str, Any] = {
        "name": row.name,
        "public_key": row.public_key,
        "fingerprint": row.fingerprint,
        "user_id": row.user_id,
    }
    if made.private_key is not None:
        body["private_key"] = made.private_key
    status = 201 if microversion.of(req) >= (2, 2) else 200
    return Reply({"keypair": _typed(req, body, row)}, status)


@router.route("GET", "/v2.1/os-keypairs")
def list_keypairs(req: ApiRequest) -> Any:
    """List the caller's (or, for an admin, ``user_id``'s) key pairs."""
    user_id = _user(req, "os_compute_api:os-keypairs:index")
    paged = microversion.of(req) >= (2, 35)
    limit = pt.limit(req) if paged else None
    marker = req.query.get("marker") if paged else None
    with pt.reading(req) as session:
        rows = repo.list_(session, user_id, limit, marker)
    items = [
        {
            "keypair": _typed(
                req,
                {"name": r.name, "public_key": r.public_key, "fingerprint": r.fingerprint},
                r,
            )
        }
        for r in rows
    ]
    body: dict[str, Any] = {"keypairs": items}
    if paged and rows and limit and len(rows) == limit:
        body["keypairs_links"] = pt.next_link(req, "os-keypairs", rows[-1].name)
    return body


@router.route("GET", "/v2.1/os-keypairs/{name}")
def show_keypair(req: ApiRequest) -> Any:
    """Show one key pair."""
    user_id = _user(req, "os_compute_api:os-keypairs:show")
    with pt.reading(req) as session:
        row = repo.get(session, user_id, req.path["name"])
    body = {
        "public_key": row.public_key,
        "name": row.name,
        "fingerprint": row.fingerprint,
        "user_id": row.user_id,
        "deleted": False,
        "created_at": row.created_at,
        "updated_at": None,
        "deleted_at": None,
        "id": row.id,
    }
    return {"keypair": _typed(req, body, row)}


@router.route("DELETE", "/v2.1/os-keypairs/{name}")
def delete_keypair(req: ApiRequest) -> Reply:
    """Delete a key pair (202 before 2.2, 204 from 2.2)."""
    user_id = _user(req, "os_compute_api:os-keypairs:delete")
    with req.state.db.write() as session:
        repo.delete(session, user_id, req.path["name"])
    return Reply(None, 204 if microversion.of(req) >= (2, 2) else 202)
