"""Version discovery: ``GET /`` lists v2.0, ``GET /v2.0`` lists its collections."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router

router = Router("network")

COLLECTIONS = (
    ("network", "networks"),
    ("subnet", "subnets"),
    ("port", "ports"),
    ("security_group", "security-groups"),
    ("security_group_rule", "security-group-rules"),
    ("quota", "quotas"),
    ("extension", "extensions"),
)


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


@router.route("GET", "/v2.0", auth=False)
def list_resources(req: ApiRequest) -> dict[str, Any]:
    """The collections of v2.0."""
    return {
        "resources": [
            {
                "name": name,
                "collection": collection,
                "links": [{"rel": "self", "href": f"{req.base_url}/v2.0/{collection}"}],
            }
            for name, collection in COLLECTIONS
        ]
    }
