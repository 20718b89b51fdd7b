"""``/v2/images``: create, list, show, update (JSON patch), delete, deactivate and reactivate.

Handlers only translate: HTTP in (``schemas``, ``patch``, ``filters``), a call on
``stratus.services.image.images.ImageApi``, JSON out (``views``).
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.image import filters, patch, schemas, views
from stratus.api.image.app import service
from stratus.services.image.images import ImageApi

router = Router("image")


def _media_type(req: ApiRequest) -> str:
    return req.headers.get("content-type", "").split(";")[0].strip().lower()


@router.route("POST", "/v2/images", body=schemas.ANY_OBJECT, status=201)
def create_image(req: ApiRequest) -> Reply:
    """Create an image record (status ``queued``)."""
    new = schemas.parse_create(req.body)
    image = service(req, ImageApi).create(new)
    return Reply(views.image(image), 201, {"Location": f"{req.base_url}/v2/images/{image.id}"})


@router.route("GET", "/v2/images")
def list_images(req: ApiRequest) -> dict[str, Any]:
    """Images the caller may see, filtered, sorted and paginated."""
    wanted, page = filters.image_filters(req.query), filters.page(req.query)
    images, next_marker = service(req, ImageApi).list_images(wanted, page)
    body: dict[str, Any] = {
        "images": [views.image(i) for i in images],
        "schema": "/v2/schemas/images",
    }
    body.update(filters.links(req.query, next_marker))
    return body


@router.route("GET", "/v2/images/{image_id}")
def show_image(req: ApiRequest) -> dict[str, Any]:
    """One image."""
    return views.image(service(req, ImageApi).get(req.path["image_id"]))


@router.route(
    "PATCH",
    "/v2/images/{image_id}",
    body=schemas.ANY_ARRAY_OR_OBJECT,
    content_types=patch.MEDIA_TYPES,
)
def update_image(req: ApiRequest) -> dict[str, Any]:
    """Apply a JSON patch to an image's attributes, tags and custom properties."""
    changes = patch.parse(req.body, _media_type(req))
    return views.image(service(req, ImageApi).update(req.path["image_id"], changes))


@router.route("DELETE", "/v2/images/{image_id}", status=204)
def delete_image(req: ApiRequest) -> None:
    """Delete an image and its data."""
    service(req, ImageApi).delete(req.path["image_id"])


@router.route("POST", "/v2/images/{image_id}/actions/deactivate", status=204, body_required=False)
def deactivate_image(req: ApiRequest) -> None:
    """Make an active image's data unavailable to non-admins."""
    service(req, ImageApi).set_active(req.path["image_id"], active=False)


@router.route("POST", "/v2/images/{image_id}/actions/reactivate", status=204, body_required=False)
def reactivate_image(req: ApiRequest) -> None:
    """Make a deactivated image active again."""
    service(req, ImageApi).set_active(req.path["image_id"], active=True)
