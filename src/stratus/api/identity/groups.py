"""``/v3/groups``: CRUD and membership (``/v3/groups/{g}/users[/{u}]``)."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.db.repositories.identity import groups
from stratus.services.identity import users as service

router = Router("identity")


@router.route("GET", "/v3/groups", policy="identity:list_groups")
def list_groups(req: ApiRequest) -> dict[str, Any]:
    """List groups (filters: name, domain_id)."""
    with req.state.db.read() as session:
        rows = groups.list_(
            session, name=params.text(req, "name"), domain_id=params.text(req, "domain_id")
        )
        return views.collection(req, "groups", [views.group(req, g) for g in rows])


@router.route(
    "POST", "/v3/groups", policy="identity:create_group", body=schemas.CREATE_GROUP, status=201
)
def create_group(req: ApiRequest) -> dict[str, Any]:
    """Create a group."""
    with req.state.db.write() as session:
        row = service.create_group(session, req.body["group"], params.default_domain(req))
        return {"group": views.group(req, row)}


@router.route("GET", "/v3/groups/{group_id}", policy="identity:get_group")
def show_group(req: ApiRequest) -> dict[str, Any]:
    """Show a group."""
    with req.state.db.read() as session:
        return {"group": views.group(req, groups.get(session, req.path["group_id"]))}


@router.route(
    "PATCH", "/v3/groups/{group_id}", policy="identity:update_group", body=schemas.UPDATE_GROUP
)
def update_group(req: ApiRequest) -> dict[str, Any]:
    """Update a group."""
    with req.state.db.write() as session:
        row = service.update_group(session, req.path["group_id"], req.body["group"])
        return {"group": views.group(req, row)}


@router.route("DELETE", "/v3/groups/{group_id}", policy="identity:delete_group", status=204)
def delete_group(req: ApiRequest) -> None:
    """Delete a group with its memberships and grants."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.delete_group(session, state.tokens, req.path["group_id"])
    state.tokens.forget_all()


@router.route("GET", "/v3/groups/{group_id}/users", policy="identity:list_users_in_group")
def list_group_users(req: ApiRequest) -> dict[str, Any]:
    """List the members of a group."""
    with req.state.db.read() as session:
        rows = service.members(session, req.path["group_id"])
        return views.collection(req, "users", [views.user(req, u) for u in rows])


@router.route(
    "PUT",
    "/v3/groups/{group_id}/users/{user_id}",
    policy="identity:add_user_to_group",
    status=204,
    body_required=False,
)
def add_group_user(req: ApiRequest) -> None:
    """Add a user to a group."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.add_member(session, state.tokens, req.path["group_id"], req.path["user_id"])
    state.tokens.forget_all()


@router.route(
    "HEAD", "/v3/groups/{group_id}/users/{user_id}", policy="identity:check_user_in_group"
)
def check_group_user(req: ApiRequest) -> Reply:
    """204 if the user is a member, else 404."""
    with req.state.db.read() as session:
        service.check_member(session, req.path["group_id"], req.path["user_id"])
    return Reply(None, status=204)


@router.route("GET", "/v3/groups/{group_id}/users/{user_id}", policy="identity:check_user_in_group")
def check_group_user_get(req: ApiRequest) -> Reply:
    """Same as HEAD (Keystone answers GET too)."""
    result: Reply = check_group_user(req)
    return result


@router.route(
    "DELETE",
    "/v3/groups/{group_id}/users/{user_id}",
    policy="identity:remove_user_from_group",
    status=204,
)
def remove_group_user(req: ApiRequest) -> None:
    """Remove a user from a group."""
    state = identity_state(req)
    with req.state.db.write() as session:
        service.remove_member(session, state.tokens, req.path["group_id"], req.path["user_id"])
    state.tokens.forget_all()
