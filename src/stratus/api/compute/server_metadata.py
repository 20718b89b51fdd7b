"""``/servers/{id}/metadata``: the whole set (GET, POST merge, PUT replace) and single items."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import server_schemas
from stratus.api.compute.server_common import authorized
from stratus.common import exceptions
from stratus.services.compute import server_data as data

router = Router("compute")

P = "os_compute_api:server-metadata"
BASE = "/v2.1/servers/{server_id}/metadata"
SET_BODY = server_schemas.metadata_body("metadata")
ITEM_BODY = server_schemas.metadata_body("meta")


@router.route("GET", BASE)
def list_metadata(req: ApiRequest) -> dict[str, Any]:
    """Show all metadata of a server."""
    server_id = req.path["server_id"]
    api = authorized(req, f"{P}:index", server_id)
    return {"metadata": data.get_metadata(api, server_id)}


@router.route("POST", BASE, body=SET_BODY)
def merge_metadata(req: ApiRequest) -> dict[str, Any]:
    """Add or change metadata items (others are kept)."""
    server_id = req.path["server_id"]
    api = authorized(req, f"{P}:create", server_id)
    return {"metadata": data.set_metadata(api, server_id, req.body["metadata"], replace=False)}


@router.route("PUT", BASE, body=SET_BODY)
def replace_metadata(req: ApiRequest) -> dict[str, Any]:
    """Replace all metadata of a server."""
    server_id = req.path["server_id"]
    api = authorized(req, f"{P}:update_all", server_id)
    return {"metadata": data.set_metadata(api, server_id, req.body["metadata"], replace=True)}


@router.route("GET", BASE + "/{key}")
def show_metadata_item(req: ApiRequest) -> dict[str, Any]:
    """Show one metadata item."""
    server_id, key = req.path["server_id"], req.path["key"]
    api = authorized(req, f"{P}:show", server_id)
    return {"meta": {key: data.get_metadata_item(api, server_id, key)}}


@router.route("PUT", BASE + "/{key}", body=ITEM_BODY)
def set_metadata_item(req: ApiRequest) -> dict[str, Any]:
    """Create or replace one metadata item."""
    server_id, key = req.path["server_id"], req.path["key"]
    meta = req.body["meta"]
    if len(meta) > 1:
        raise exceptions.Invalid("Request body contains too many items")
    if key not in meta:
        raise exceptions.Invalid("Request body and URI mismatch")
    api = authorized(req, f"{P}:update", server_id)
    data.set_metadata(api, server_id, {key: meta[key]}, replace=False)
    return {"meta": {key: meta[key]}}


@router.route("DELETE", BASE + "/{key}", status=204)
def delete_metadata_item(req: ApiRequest) -> None:
    """Delete one metadata item."""
    server_id, key = req.path["server_id"], req.path["key"]
    api = authorized(req, f"{P}:delete", server_id)
    data.delete_metadata_item(api, server_id, key)
