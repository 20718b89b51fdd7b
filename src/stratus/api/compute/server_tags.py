"""``/servers/{id}/tags`` (microversion 2.26+): list, replace, clear, check, add, remove."""

from __future__ import annotations

from typing import Any

from stratus.api.common import schemas
from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute import microversion, server_schemas
from stratus.api.compute.server_common import authorized
from stratus.common import exceptions
from stratus.services.compute import server_data as data

router = Router("compute")

P = "os_compute_api:os-server-tags"
BASE = "/v2.1/servers/{server_id}/tags"
TAGS_BODY = schemas.obj({"tags": server_schemas.TAGS}, required=("tags",))


def _api_for(req: ApiRequest, rule: str) -> Any:
    microversion.require(req, (2, 26))
    return authorized(req, f"{P}:{rule}", req.path["server_id"])


@router.route("GET", BASE)
def list_tags(req: ApiRequest) -> dict[str, Any]:
    """List the tags of a server."""
    api = _api_for(req, "index")
    return {"tags": data.get_tags(api, req.path["server_id"])}


@router.route("PUT", BASE, body=TAGS_BODY)
def replace_tags(req: ApiRequest) -> dict[str, Any]:
    """Replace all tags of a server."""
    api = _api_for(req, "update_all")
    tags, _added = data.change_tags(api, req.path["server_id"], list(req.body["tags"]), None)
    return {"tags": tags}


@router.route("DELETE", BASE, status=204)
def delete_tags(req: ApiRequest) -> None:
    """Remove every tag of a server."""
    api = _api_for(req, "delete_all")
    data.change_tags(api, req.path["server_id"], [], None)


@router.route("GET", BASE + "/{tag}", status=204)
def check_tag(req: ApiRequest) -> None:
    """204 if the server has the tag, 404 if not."""
    api = _api_for(req, "show")
    tag = req.path["tag"]
    if tag not in data.get_tags(api, req.path["server_id"]):
        raise exceptions.NotFound(f"Tag {tag} could not be found.")


@router.route("PUT", BASE + "/{tag}", body_required=False)
def add_tag(req: ApiRequest) -> Reply:
    """Add one tag (201 with its location when new, 204 when it was there)."""
    tag = req.path["tag"]
    schemas.validate(server_schemas.TAG, tag)
    api = _api_for(req, "update")
    server_id = req.path["server_id"]
    _tags, added = data.change_tags(api, server_id, [tag], [])
    if not added:
        return Reply(None, 204)
    location = f"{req.base_url}/v2.1/servers/{server_id}/tags/{tag}"
    return Reply(None, 201, headers={"Location": location})


@router.route("DELETE", BASE + "/{tag}", status=204)
def delete_tag(req: ApiRequest) -> None:
    """Remove one tag."""
    api = _api_for(req, "delete")
    tag, server_id = req.path["tag"], req.path["server_id"]
    if tag not in data.get_tags(api, server_id):
        raise exceptions.NotFound(f"Tag {tag} could not be found.")
    data.change_tags(api, server_id, [], [tag])
