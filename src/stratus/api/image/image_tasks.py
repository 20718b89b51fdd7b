"""``GET /v2/images/{image_id}/tasks`` (Glance API 2.12): the tasks that worked on an image.

Stratus runs no asynchronous image tasks (no interoperable import, no copy between stores), so a
visible image always has an empty list; an image the caller cannot see is 404, as in Glance.
Clients poll this after uploads (Tempest waits for every task to succeed), which an empty list
answers at once.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.image.app import service
from stratus.services.image.images import ImageApi

router = Router("image")


@router.route("GET", "/v2/images/{image_id}/tasks")
def list_image_tasks(req: ApiRequest) -> dict[str, Any]:
    """The tasks of an image (always none in Stratus)."""
    service(req, ImageApi).get(req.path["image_id"])
    return {"tasks": []}
