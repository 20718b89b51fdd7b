"""Version discovery: ``GET /``, ``GET /v2.1`` and ``GET /v2`` (no authentication).

``v2.0`` is listed first, as Nova does: it is the v2.1 API at its base microversion, served
under ``/v2`` by ``legacy_v2.LegacyV2Middleware``.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router
from stratus.api.compute.microversion import MIN_VERSION

router = Router("compute")

UPDATED = "2013-07-23T11:33:21Z"
UPDATED_V20 = "2011-01-21T11:33:21Z"


def _v20(req: ApiRequest) -> dict[str, Any]:
    return {
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": UPDATED_V20,
        "links": [{"rel": "self", "href": f"{req.base_url}/v2/"}],
    }


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
    return {"versions": [_v20(req), _v21(req)]}


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


@router.route("GET", "/v2", auth=False)
def show_version_v20(req: ApiRequest) -> Reply:
    """Show compute API v2.0 (v2.1 without microversions)."""
    entry = _v20(req)
    entry["links"].append(
        {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
    )
    entry["media-types"] = [
        {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"}
    ]
    return Reply({"version": entry})
