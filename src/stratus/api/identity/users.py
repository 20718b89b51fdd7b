"""``/v3/users``: CRUD, self-service password change, a user's projects and groups."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.db.repositories.identity import users
from stratus.services.identity import projects as project_service
from stratus.services.identity import users as service

router = Router("identity")


def _target(user_id: str) -> dict[str, Any]:
    return {"target": {"user": {"id": user_id}}, "user_id": user_id}


@router.route("GET", "/v3/users", policy="identity:list_users")
def list_users(req: ApiRequest) -> dict[str, Any]:
    """List users (filters: name, domain_id, enabled)."""
    enabled = req.query_bool("enabled")
    with req.state.db.read() as session:
        rows = users.list_(
            session,
            name=params.text(req, "name"),
            domain_id=params.text(req, "domain_id"),
            enabled=enabled,
        )
        return views.collection(req, "users", [views.user(req, r) for r in rows])


@router.route(
    "POST", "/v3/users", policy="identity:create_user", body=schemas.CREATE_USER, status=201
)
def create_user(req: ApiRequest) -> dict[str, Any]:
    """Create a user; the password is stored as a bcrypt hash."""
    with req.state.db.write() as session:
        row = service.create_user(
            session, req.body["user"], params.default_domain(req), params.rounds(req)
        )
        return {"user": views.user(req, row)}


@router.route("GET", "/v3/users/{user_id}")
def show_user(req: ApiRequest) -> dict[str, Any]:
    """Show a user (admins, or the user themself)."""
    req.authorize("identity:get_user", _target(req.path["user_id"]))
    with req.state.db.read() as session:
        return {"user": views.user(req, users.get(session, req.path["user_id"]))}


@router.route(
    "PATCH", "/v3/users/{user_id}", policy="identity:update_user", body=schemas.UPDATE_USER
)
def update_user(req: ApiRequest) -> dict[str, Any]:
    """Update a user; a new password or disabling revokes their tokens."""
    state = identity_state(req)
    with req.state.db.write() as session:
        row = service.update_user(
            session, state.tokens, req.path["user_id"], req.body["user"], params.rounds(req)
        )
        body = {"user": views.user(req, row)}
    state.tokens.forget_all()
    return body


@router.route("DELETE", "/v3/users/{user_id}", policy="identity:delete_user", status=204)
def delete_user(req: ApiRequest) -> None:
    """Delete a user, their grants, memberships and credentials; revoke their tokens."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.delete_user(session, state.tokens, req.path["user_id"])
    state.tokens.forget_all()


# NOTE: Keystone does not require a token here, so users whose password expired can change it;
# knowing the original password is the authorization.
@router.route(
    "POST", "/v3/users/{user_id}/password", auth=False, body=schemas.CHANGE_PASSWORD, status=204
)
def change_password(req: ApiRequest) -> None:
    """Change one's own password (``original_password`` required); revokes existing tokens."""
    state = identity_state(req)
    data = req.body["user"]
    service.change_password(
        req.state.db,
        state.tokens,
        req.path["user_id"],
        data["original_password"],
        data["password"],
        params.rounds(req),
    )
    state.tokens.forget_all()


@router.route("GET", "/v3/users/{user_id}/projects", policy="identity:list_user_projects")
def list_user_projects(req: ApiRequest) -> dict[str, Any]:
    """Projects the user has a role on (directly, through groups, or inherited)."""
    with req.state.db.read() as session:
        rows = project_service.projects_of_user(session, req.path["user_id"])
        enabled = req.query_bool("enabled")
        name = params.text(req, "name")
        items = [
            views.project(req, p)
            for p in rows
            if (enabled is None or p.enabled == enabled) and (name is None or p.name == name)
        ]
        return views.collection(req, "projects", items)


@router.route("GET", "/v3/users/{user_id}/groups", policy="identity:list_groups_for_user")
def list_user_groups(req: ApiRequest) -> dict[str, Any]:
    """Groups the user belongs to."""
    with req.state.db.read() as session:
        rows = service.groups_of_user(session, req.path["user_id"])
        return views.collection(req, "groups", [views.group(req, g) for g in rows])
