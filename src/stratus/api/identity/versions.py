"""Version discovery: ``GET /`` (300 Multiple Choices) and ``GET /v3``."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router

router = Router("identity")

VERSION = "v3.14"
UPDATED = "2020-04-07T00:00:00Z"


def _entry(req: ApiRequest) -> dict[str, Any]:
    return {
        "id": VERSION,
        "status": "stable",
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{req.base_url}/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


@router.route("GET", "/", auth=False)
def list_versions(req: ApiRequest) -> Reply:
    """List the identity API versions."""
    return Reply({"versions": {"values": [_entry(req)]}}, status=300)


@router.route("GET", "/v3", auth=False)
def show_version(req: ApiRequest) -> dict[str, Any]:
    """Show identity API v3."""
    return {"version": _entry(req)}
