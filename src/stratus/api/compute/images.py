"""Nova's image proxy: ``/v2.1/images`` (list, detail, show, delete) up to microversion 2.35 and
``/v2.1/images/{id}/metadata`` up to 2.38; later versions answer 404, as Nova does.

Everything is the image service's, in-process (``services.compute.image_proxy``): visibility
(an image the caller cannot see is 404), ownership (403), listing order (newest first). Nova
keeps no policy rules of its own for these operations, and neither does Stratus. Filters are
Nova's and map onto the image service's: ``name``, ``status`` (a Glance status, any case),
``changes-since`` (updated at or after), ``server`` (a server id or link: its snapshots),
``type`` (``snapshot``/``backup``), ``minRam``/``minDisk`` (equal to, as Glance v2 filters them)
and ``property-<name>``; ``limit``/``marker`` page, with an ``images_links`` "next" link when
there is another page.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common import pagination, schemas
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.compute import microversion, server_schemas
from stratus.api.compute import param_types as pt
from stratus.api.compute.server_common import server_api
from stratus.api.compute.state import compute_state
from stratus.common import clock, exceptions
from stratus.services.compute.image_proxy import ImageMetadata, ImageProxy
from stratus.services.image.images import ImageFilters, ImageView, PageRequest

router = Router("compute")

IMAGES_MAX = (2, 35)
METADATA_MAX = (2, 38)
BASE = "/v2.1/images"
META = BASE + "/{image_id}/metadata"
SET_BODY = server_schemas.metadata_body("metadata")
ITEM_BODY = server_schemas.metadata_body("meta")

# Glance status -> Nova image status (anything else is UNKNOWN), and the progress Nova reports.
STATUSES = {
    "active": "ACTIVE",
    "queued": "SAVING",
    "saving": "SAVING",
    "deleted": "DELETED",
    "pending_delete": "DELETED",
    "killed": "ERROR",
}
PROGRESS = {"queued": 25, "saving": 50, "active": 100}
_TRUE = ("1", "t", "true", "on", "y", "yes")


def _upto(req: ApiRequest, maximum: tuple[int, int]) -> None:
    """404 for a proxy operation Nova removed after ``maximum``."""
    if microversion.of(req) > maximum:
        raise exceptions.NotFound("The resource could not be found.")


def _proxy(req: ApiRequest) -> ImageProxy:
    _upto(req, IMAGES_MAX)
    state = compute_state(req)
    return ImageProxy(state.db, state.config, req.ctx, server_api(req).image_policy)


def _metadata(req: ApiRequest) -> ImageMetadata:
    _upto(req, METADATA_MAX)
    state = compute_state(req)
    return ImageMetadata(state.db, state.config, req.ctx, server_api(req).image_policy)


# ----------------------------------------------------------------------------------------- views


def _links(req: ApiRequest, image_id: str) -> list[dict[str, str]]:
    cfg = compute_state(req).config
    return [
        *pt.links(req, "images", image_id),
        {
            "rel": "alternate",
            "type": "application/vnd.openstack.image",
            "href": cfg.endpoint_url(cfg.image.port, f"/images/{image_id}"),
        },
    ]


def brief(req: ApiRequest, image: ImageView) -> dict[str, Any]:
    return {"id": image.id, "name": image.name, "links": _links(req, image.id)}


def detail(req: ApiRequest, image: ImageView) -> dict[str, Any]:
    """One image as Nova shows it (``GET /images/{id}`` and ``/images/detail``)."""
    metadata = dict(image.properties)
    body: dict[str, Any] = {
        "id": image.id,
        "name": image.name,
        "minRam": image.min_ram,
        "minDisk": image.min_disk,
        "metadata": metadata,
        "created": clock.isotime(image.created_at),
        "updated": clock.isotime(image.updated_at),
        "status": STATUSES.get(image.status, "UNKNOWN"),
        "progress": PROGRESS.get(image.status, 0),
        "OS-EXT-IMG-SIZE:size": image.size,
        "links": _links(req, image.id),
    }
    server = metadata.get("instance_uuid")
    if server is not None:
        body["server"] = {"id": server, "links": pt.links(req, "servers", server)}
    auto_disk_config = metadata.get("auto_disk_config")
    if auto_disk_config is not None:
        auto = auto_disk_config.strip().lower() in _TRUE
        body["OS-DCF:diskConfig"] = "AUTO" if auto else "MANUAL"
    return body


# --------------------------------------------------------------------------------------- listing


def _int_filter(req: ApiRequest, name: str) -> int | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.Invalid(f"Invalid {name} filter [{raw}]: expected an integer.") from None
    if value < 0:
        raise exceptions.Invalid(f"Invalid {name} filter [{raw}]: it must not be negative.")
    return value


def filters(req: ApiRequest) -> ImageFilters:
    """Nova's image filters as the image service's (Nova's ``_get_filters``)."""
    query = req.query
    wanted = ImageFilters()
    if "name" in query:
        wanted.names = [query["name"]]
    if "status" in query:
        wanted.statuses = [query["status"].lower()]
    if "changes-since" in query:
        raw = query["changes-since"]
        try:
            wanted.updated_at = [("gte", clock.parse_isotime(raw))]
        except ValueError:
            raise exceptions.Invalid(
                f"Invalid changes-since value [{raw}]: expected an ISO 8601 time."
            ) from None
    if "server" in query:
        wanted.properties["instance_uuid"] = query["server"].rstrip("/").rsplit("/", 1)[-1]
    if "type" in query:
        wanted.properties["image_type"] = query["type"]
    for param, column in (("minRam", "min_ram"), ("minDisk", "min_disk")):
        number = _int_filter(req, param)
        if number is not None:
            wanted.equals[column] = number
    for key, value in query.items():
        if key.startswith("property-") and len(key) > len("property-"):
            wanted.properties[key[len("property-") :]] = value
    return wanted


def _list(req: ApiRequest, collection: str) -> tuple[list[ImageView], dict[str, Any]]:
    proxy = _proxy(req)
    page = PageRequest(limit=pt.limit(req), marker=pagination.marker(req.query))
    images, next_marker = proxy.images.list_images(filters(req), page)
    extra: dict[str, Any] = {}
    if next_marker is not None:
        extra["images_links"] = pt.next_link(req, collection, next_marker)
    return images, extra


@router.route("GET", BASE)
def list_images(req: ApiRequest) -> dict[str, Any]:
    """List images (id, name, links) the caller may see."""
    images, extra = _list(req, "images")
    return {"images": [brief(req, i) for i in images], **extra}


@router.route("GET", BASE + "/detail")
def list_images_detail(req: ApiRequest) -> dict[str, Any]:
    """List images with details."""
    images, extra = _list(req, "images/detail")
    return {"images": [detail(req, i) for i in images], **extra}


@router.route("GET", BASE + "/{image_id}")
def show_image(req: ApiRequest) -> dict[str, Any]:
    """Show one image."""
    return {"image": detail(req, _proxy(req).get(req.path["image_id"]))}


@router.route("DELETE", BASE + "/{image_id}", status=204)
def delete_image(req: ApiRequest) -> None:
    """Delete an image (its owner or an admin)."""
    _proxy(req).delete(req.path["image_id"])


# -------------------------------------------------------------------------------------- metadata


def _body(req: ApiRequest, schema: dict[str, Any]) -> dict[str, Any]:
    """The validated body (checked here, after the version: from 2.39 these are 404 first)."""
    schemas.validate(schema, req.body)
    assert isinstance(req.body, dict)
    return req.body


@router.route("GET", META)
def list_image_metadata(req: ApiRequest) -> dict[str, Any]:
    """Show an image's metadata (its custom properties)."""
    return {"metadata": _metadata(req).show(req.path["image_id"])}


@router.route("POST", META)
def merge_image_metadata(req: ApiRequest) -> dict[str, Any]:
    """Add or change metadata items, keeping the others."""
    api = _metadata(req)
    items = _body(req, SET_BODY)["metadata"]
    return {"metadata": api.merge(req.path["image_id"], items)}


@router.route("PUT", META)
def replace_image_metadata(req: ApiRequest) -> dict[str, Any]:
    """Replace all metadata of an image."""
    api = _metadata(req)
    items = _body(req, SET_BODY)["metadata"]
    api.replace(req.path["image_id"], items)
    return {"metadata": items}


@router.route("GET", META + "/{key}")
def show_image_metadata_item(req: ApiRequest) -> dict[str, Any]:
    """Show one metadata item."""
    key = req.path["key"]
    return {"meta": {key: _metadata(req).item(req.path["image_id"], key)}}


@router.route("PUT", META + "/{key}")
def set_image_metadata_item(req: ApiRequest) -> dict[str, Any]:
    """Create or replace one metadata item."""
    api = _metadata(req)
    key, meta = req.path["key"], _body(req, ITEM_BODY)["meta"]
    if len(meta) > 1:
        raise exceptions.Invalid("Request body contains too many items")
    if key not in meta:
        raise exceptions.Invalid("Request body and URI mismatch")
    api.merge(req.path["image_id"], {key: meta[key]})
    return {"meta": {key: meta[key]}}


@router.route("DELETE", META + "/{key}", status=204)
def delete_image_metadata_item(req: ApiRequest) -> None:
    """Delete one metadata item."""
    _metadata(req).delete_item(req.path["image_id"], req.path["key"])
