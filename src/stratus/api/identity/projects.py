"""``/v3/projects``: list, create, show, update, delete, and project tags."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.identity import params, schemas, views
from stratus.api.identity.state import identity_state
from stratus.common import exceptions
from stratus.db.models.identity import Domain
from stratus.db.repositories.identity import domains, projects
from stratus.services.identity import domains as domain_service
from stratus.services.identity import projects as service

router = Router("identity")

_TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def _target(project_id: str) -> dict[str, Any]:
    return {"target": {"project": {"id": project_id}}, "project_id": project_id}


def _tag_filters(req: ApiRequest) -> dict[str, list[str]]:
    return {k: req.query[k].split(",") for k in _TAG_FILTERS if req.query.get(k)}


@router.route("GET", "/v3/projects", policy="identity:list_projects")
def list_projects(req: ApiRequest) -> dict[str, Any]:
    """List projects (filters: name, domain_id, enabled, parent_id, is_domain, tags...)."""
    enabled = req.query_bool("enabled")
    is_domain = req.query_bool("is_domain")
    name = params.text(req, "name")
    with req.state.db.read() as session:
        if is_domain:
            rows = domains.list_(session, name=name, enabled=enabled)
            return views.collection(
                req, "projects", [views.domain_as_project(req, d) for d in rows]
            )
        found = projects.list_(
            session,
            name=name,
            domain_id=params.text(req, "domain_id"),
            enabled=enabled,
            parent_id=params.text(req, "parent_id"),
        )
        flt = _tag_filters(req)
        items = [views.project(req, p) for p in found if service.matches_tags(p, flt)]
        return views.collection(req, "projects", items)


@router.route(
    "POST",
    "/v3/projects",
    policy="identity:create_project",
    body=schemas.CREATE_PROJECT,
    status=201,
)
def create_project(req: ApiRequest) -> dict[str, Any]:
    """Create a project (or, with ``is_domain: true``, a domain)."""
    with req.state.db.write() as session:
        row = service.create(session, req.body["project"], params.default_domain(req))
        if isinstance(row, Domain):
            return {"project": views.domain_as_project(req, row)}
        return {"project": views.project(req, row)}


@router.route("GET", "/v3/projects/{project_id}")
def show_project(req: ApiRequest) -> dict[str, Any]:
    """Show a project."""
    project_id = req.path["project_id"]
    req.authorize("identity:get_project", _target(project_id))
    with req.state.db.read() as session:
        row = session.get(Domain, project_id)
        if row is not None:
            return {"project": views.domain_as_project(req, row)}
        return {"project": views.project(req, projects.get(session, project_id))}


@router.route(
    "PATCH",
    "/v3/projects/{project_id}",
    policy="identity:update_project",
    body=schemas.UPDATE_PROJECT,
)
def update_project(req: ApiRequest) -> dict[str, Any]:
    """Update a project; disabling it revokes the tokens scoped to it."""
    state = identity_state(req)
    project_id = req.path["project_id"]
    with req.state.db.write() as session:
        if session.get(Domain, project_id) is not None:
            patch = {k: v for k, v in req.body["project"].items() if k != "is_domain"}
            domain = domain_service.update(session, state.tokens, project_id, patch)
            body = {"project": views.domain_as_project(req, domain)}
        else:
            row = service.update(session, state.tokens, project_id, req.body["project"])
            body = {"project": views.project(req, row)}
    state.tokens.forget_all()
    return body


@router.route("DELETE", "/v3/projects/{project_id}", policy="identity:delete_project", status=204)
def delete_project(req: ApiRequest) -> None:
    """Delete a project (not one with children); its tokens are revoked."""
    state = identity_state(req)
    project_id = req.path["project_id"]
    with req.state.db.write() as session:
        if session.get(Domain, project_id) is not None:
            domain_service.delete(session, state.tokens, project_id)
        else:
            service.delete(session, state.tokens, project_id)
    state.tokens.forget_all()


# -- tags ---------------------------------------------------------------------------------------
def _tags_body(req: ApiRequest, tags: list[str]) -> dict[str, Any]:
    return {"tags": tags, "links": {"self": str(req.raw.url)}}


@router.route("GET", "/v3/projects/{project_id}/tags")
def list_project_tags(req: ApiRequest) -> dict[str, Any]:
    """List the tags of a project."""
    req.authorize("identity:list_project_tags", _target(req.path["project_id"]))
    with req.state.db.read() as session:
        return _tags_body(req, list(projects.get(session, req.path["project_id"]).tags))


@router.route(
    "PUT",
    "/v3/projects/{project_id}/tags",
    policy="identity:update_project_tags",
    body=schemas.PROJECT_TAGS,
)
def replace_project_tags(req: ApiRequest) -> dict[str, Any]:
    """Replace the tags of a project."""
    with req.state.db.write() as session:
        tags = service.set_tags(session, req.path["project_id"], req.body["tags"])
    return _tags_body(req, tags)


@router.route(
    "DELETE", "/v3/projects/{project_id}/tags", policy="identity:update_project_tags", status=204
)
def delete_project_tags(req: ApiRequest) -> None:
    """Remove every tag of a project."""
    with req.state.db.write() as session:
        service.set_tags(session, req.path["project_id"], [])


def _tag(req: ApiRequest) -> str:
    tag = req.path["tag"]
    if not tag or len(tag) > 255 or "," in tag or "/" in tag:
        raise exceptions.Invalid(f"Invalid project tag {tag!r}: 1-255 characters, no ',' or '/'.")
    return tag


@router.route("GET", "/v3/projects/{project_id}/tags/{tag}")
def check_project_tag(req: ApiRequest) -> Reply:
    """204 if the project has the tag, else 404."""
    req.authorize("identity:list_project_tags", _target(req.path["project_id"]))
    with req.state.db.read() as session:
        service.check_tag(session, req.path["project_id"], req.path["tag"])
    return Reply(None, status=204)


@router.route(
    "PUT",
    "/v3/projects/{project_id}/tags/{tag}",
    policy="identity:update_project_tags",
    body_required=False,
)
def add_project_tag(req: ApiRequest) -> Response:
    """Add one tag to a project (201 with its URL in Location)."""
    tag = _tag(req)
    with req.state.db.write() as session:
        service.add_tag(session, req.path["project_id"], tag)
    return Response(status_code=201, headers={"Location": str(req.raw.url)})


@router.route(
    "DELETE",
    "/v3/projects/{project_id}/tags/{tag}",
    policy="identity:update_project_tags",
    status=204,
)
def delete_project_tag(req: ApiRequest) -> None:
    """Remove one tag from a project."""
    with req.state.db.write() as session:
        service.remove_tag(session, req.path["project_id"], req.path["tag"])
