"""``/v2.0/{resource}/{id}/tags``: tags of networks, subnets, ports and security groups."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.network import common, schemas
from stratus.services.network import tags as network_tags

router = Router("network")
BASE = "/v2.0/{resource}/{resource_id}/tags"


def _target(req: ApiRequest) -> tuple[str, str]:
    return req.path["resource"], req.path["resource_id"]


@router.route("GET", BASE, policy="context_is_reader")
def list_tags(req: ApiRequest) -> dict[str, Any]:
    """A resource's tags."""
    return {"tags": network_tags.get_tags(common.db(req), common.caller(req), *_target(req))}


@router.route("PUT", BASE, body=schemas.TAGS_REPLACE)
def replace_tags(req: ApiRequest) -> dict[str, Any]:
    """Replace all of a resource's tags."""
    tags = network_tags.replace_tags(
        common.db(req), common.caller(req), *_target(req), req.body["tags"]
    )
    return {"tags": tags}


@router.route("DELETE", BASE, status=204)
def delete_tags(req: ApiRequest) -> None:
    """Remove every tag."""
    network_tags.replace_tags(common.db(req), common.caller(req), *_target(req), [])


@router.route("GET", BASE + "/{tag}", status=204, policy="context_is_reader")
def check_tag(req: ApiRequest) -> None:
    """204 if the resource has the tag, 404 if not."""
    network_tags.has_tag(common.db(req), common.caller(req), *_target(req), req.path["tag"])


@router.route("PUT", BASE + "/{tag}", status=201, body_required=False)
def add_tag(req: ApiRequest) -> Reply:
    """Add one tag."""
    network_tags.add_tag(common.db(req), common.caller(req), *_target(req), req.path["tag"])
    return Reply(None, 201)


@router.route("DELETE", BASE + "/{tag}", status=204)
def remove_tag(req: ApiRequest) -> None:
    """Remove one tag (404 if the resource does not have it)."""
    network_tags.remove_tag(common.db(req), common.caller(req), *_target(req), req.path["tag"])
