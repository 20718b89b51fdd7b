"""``/v2/images/{id}/tags/{tag}``: add (PUT) and remove (DELETE) one tag, both 204."""

from __future__ import annotations

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.image import schemas
from stratus.api.image.app import service
from stratus.services.image.images import ImageApi

router = Router("image")


@router.route("PUT", "/v2/images/{image_id}/tags/{tag}", status=204, body_required=False)
def add_tag(req: ApiRequest) -> None:
    """Add a tag (adding a tag the image already has changes nothing)."""
    tag = req.path["tag"]
    schemas.validate_attribute("tags", [tag])
    service(req, ImageApi).add_tag(req.path["image_id"], tag)


@router.route("DELETE", "/v2/images/{image_id}/tags/{tag}", status=204)
def delete_tag(req: ApiRequest) -> None:
    """Remove a tag (404 if the image does not have it)."""
    service(req, ImageApi).delete_tag(req.path["image_id"], req.path["tag"])
