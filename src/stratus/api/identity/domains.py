"""``/v3/domains``: list, create, show, update, delete."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.db.repositories.identity import domains
from stratus.services.identity import domains as service

router = Router("identity")


@router.route("GET", "/v3/domains", policy="identity:list_domains")
def list_domains(req: ApiRequest) -> dict[str, Any]:
    """List domains (filters: name, enabled)."""
    enabled = req.query_bool("enabled")
    with req.state.db.read() as session:
        rows = domains.list_(session, name=params.text(req, "name"), enabled=enabled)
        return views.collection(req, "domains", [views.domain(req, r) for r in rows])


@router.route(
    "POST", "/v3/domains", policy="identity:create_domain", body=schemas.CREATE_DOMAIN, status=201
)
def create_domain(req: ApiRequest) -> dict[str, Any]:
    """Create a domain."""
    with req.state.db.write() as session:
        row = service.create(session, req.body["domain"])
        return {"domain": views.domain(req, row)}


@router.route("GET", "/v3/domains/{domain_id}")
def show_domain(req: ApiRequest) -> dict[str, Any]:
    """Show a domain."""
    domain_id = req.path["domain_id"]
    req.authorize("identity:get_domain", {"target": {"domain": {"id": domain_id}}})
    with req.state.db.read() as session:
        return {"domain": views.domain(req, domains.get(session, domain_id))}


@router.route(
    "PATCH", "/v3/domains/{domain_id}", policy="identity:update_domain", body=schemas.UPDATE_DOMAIN
)
def update_domain(req: ApiRequest) -> dict[str, Any]:
    """Update a domain; disabling it revokes the tokens of its users and projects."""
    state = identity_state(req)
    with req.state.db.write() as session:
        row = service.update(session, state.tokens, req.path["domain_id"], req.body["domain"])
        return {"domain": views.domain(req, row)}


@router.route("DELETE", "/v3/domains/{domain_id}", policy="identity:delete_domain", status=204)
def delete_domain(req: ApiRequest) -> None:
    """Delete a disabled domain with everything in it."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.delete(session, state.tokens, req.path["domain_id"])
