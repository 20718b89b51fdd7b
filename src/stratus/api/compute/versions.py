"""Version discovery: ``GET /`` and ``GET /v2.1`` (no authentication)."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute.microversion import MIN_VERSION

router = Router("compute")

UPDATED = "2013-07-23T11:33:21Z"


def _v21(req: ApiRequest) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": req.state.config.compute.max_microversion,
        "min_version": "{}.{}".format(*MIN_VERSION),
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{req.base_url}/v2.1/"}],
    }


@router.route("GET", "/", auth=False)
def list_versions(req: ApiRequest) -> dict[str, Any]:
    """List compute API versions."""
    return {"versions": [_v21(req)]}


@router.route("GET", "/v2.1", auth=False)
def show_version(req: ApiRequest) -> Reply:
    """Show compute API v2.1 (with the microversion range)."""
    entry = _v21(req)
    entry["links"].append(
        {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
    )
    entry["media-types"] = [
        {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
    ]
    return Reply({"version": entry})
