"""``GET /v2/info/usage`` (Glance API 2.13): the image quotas of the caller's project and how
much of each it uses (``image_size_total`` in MiB), as ``{"usage": {name: {"limit", "usage"}}}``.
Limits are ``[image]`` settings (-1 = unlimited); see ``stratus.services.image.quotas``.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.image.app import service
from stratus.services.image.images import ImageApi

router = Router("image")


@router.route("GET", "/v2/info/usage")
def get_usage(req: ApiRequest) -> dict[str, Any]:
    """The image quotas of the caller's project and their usage."""
    found = service(req, ImageApi).usage()
    return {"usage": {name: {"limit": q.limit, "usage": q.usage} for name, q in found.items()}}
