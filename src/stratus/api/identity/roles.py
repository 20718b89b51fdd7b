"""``/v3/roles``, implied roles (``/v3/roles/{prior}/implies/...``) and ``/v3/role_inferences``."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.db.models.identity import Role
from stratus.db.repositories.identity import roles
from stratus.services.identity import role_admin as service

router = Router("identity")


@router.route("GET", "/v3/roles", policy="identity:list_roles")
def list_roles(req: ApiRequest) -> dict[str, Any]:
    """List global roles, or a domain's (filters: name (case-insensitive), domain_id)."""
    with req.state.db.read() as session:
        rows = roles.list_(
            session, name=params.text(req, "name"), domain_id=params.text(req, "domain_id") or ""
        )
        return views.collection(req, "roles", [views.role(req, r) for r in rows])


@router.route(
    "POST", "/v3/roles", policy="identity:create_role", body=schemas.CREATE_ROLE, status=201
)
def create_role(req: ApiRequest) -> dict[str, Any]:
    """Create a role (409 if the name exists in any case)."""
    with req.state.db.write() as session:
        return {"role": views.role(req, service.create_role(session, req.body["role"]))}


@router.route("GET", "/v3/roles/{role_id}", policy="identity:get_role")
def show_role(req: ApiRequest) -> dict[str, Any]:
    """Show a role."""
    with req.state.db.read() as session:
        return {"role": views.role(req, roles.get(session, req.path["role_id"]))}


@router.route(
    "PATCH", "/v3/roles/{role_id}", policy="identity:update_role", body=schemas.UPDATE_ROLE
)
def update_role(req: ApiRequest) -> dict[str, Any]:
    """Update a role."""
    state = identity_state(req)
    with req.state.db.write() as session:
        body = {
            "role": views.role(
                req,
                service.update_role(session, state.tokens, req.path["role_id"], req.body["role"]),
            )
        }
    state.tokens.forget_all()
    return body


@router.route("DELETE", "/v3/roles/{role_id}", policy="identity:delete_role", status=204)
def delete_role(req: ApiRequest) -> None:
    """Delete a role and every assignment of it."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.delete_role(session, state.tokens, req.path["role_id"])
    state.tokens.forget_all()


# -- implied roles ------------------------------------------------------------------------------
def _ref(req: ApiRequest, row: Role) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "links": {"self": views.link(req, f"/v3/roles/{row.id}")},
    }


def _inference(req: ApiRequest, prior: Role, implied: Role) -> dict[str, Any]:
    return {
        "role_inference": {"prior_role": _ref(req, prior), "implies": _ref(req, implied)},
        "links": {"self": views.link(req, f"/v3/roles/{prior.id}/implies/{implied.id}")},
    }


@router.route(
    "PUT",
    "/v3/roles/{prior_id}/implies/{implied_id}",
    policy="identity:create_implied_role",
    body_required=False,
)
def create_implied_role(req: ApiRequest) -> Reply:
    """Make one role imply another (201)."""
    state = identity_state(req)
    with req.state.db.write() as session:
        prior, implied = service.create_inference(
            session, state.tokens, req.path["prior_id"], req.path["implied_id"]
        )
        body = _inference(req, prior, implied)
    state.tokens.forget_all()
    return Reply(body, status=201)


@router.route(
    "GET", "/v3/roles/{prior_id}/implies/{implied_id}", policy="identity:get_implied_role"
)
def show_implied_role(req: ApiRequest) -> dict[str, Any]:
    """Show one inference rule."""
    with req.state.db.read() as session:
        return _inference(
            req, *service.get_inference(session, req.path["prior_id"], req.path["implied_id"])
        )


@router.route(
    "HEAD", "/v3/roles/{prior_id}/implies/{implied_id}", policy="identity:check_implied_role"
)
def check_implied_role(req: ApiRequest) -> Reply:
    """204 if the rule exists, else 404."""
    with req.state.db.read() as session:
        service.get_inference(session, req.path["prior_id"], req.path["implied_id"])
    return Reply(None, status=204)


@router.route(
    "DELETE",
    "/v3/roles/{prior_id}/implies/{implied_id}",
    policy="identity:delete_implied_role",
    status=204,
)
def delete_implied_role(req: ApiRequest) -> None:
    """Delete an inference rule."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.delete_inference(
            session, state.tokens, req.path["prior_id"], req.path["implied_id"]
        )
    state.tokens.forget_all()


@router.route("GET", "/v3/roles/{prior_id}/implies", policy="identity:list_implied_roles")
def list_implied_roles(req: ApiRequest) -> dict[str, Any]:
    """The roles one role implies."""
    with req.state.db.read() as session:
        prior, implied = service.implied_by(session, req.path["prior_id"])
        return {
            "role_inference": {
                "prior_role": _ref(req, prior),
                "implies": [_ref(req, r) for r in implied],
            },
            "links": {"self": views.link(req, f"/v3/roles/{prior.id}/implies")},
        }


@router.route("GET", "/v3/role_inferences", policy="identity:list_role_inference_rules")
def list_role_inferences(req: ApiRequest) -> dict[str, Any]:
    """Every inference rule, grouped by prior role."""
    with req.state.db.read() as session:
        rules = service.all_inferences(session)
        items = [
            {"prior_role": _ref(req, p), "implies": [_ref(req, r) for r in implied]}
            for p, implied in rules
        ]
    return {"role_inferences": items, "links": {"self": views.link(req, "/v3/role_inferences")}}
