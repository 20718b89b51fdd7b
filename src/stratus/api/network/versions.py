"""Version discovery: ``GET /`` lists v2.0."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router

router = Router("network")


@router.route("GET", "/", auth=False)
def list_versions(req: ApiRequest) -> dict[str, Any]:
    """List networking API versions."""
    return {
        "versions": [
            {
                "id": "v2.0",
                "status": "CURRENT",
                "links": [{"rel": "self", "href": f"{req.base_url}/v2.0/"}],
            }
        ]
    }
