"""The version document: ``GET /`` (300 Multiple Choices), ``GET /versions`` and ``GET /v2`` (200).

Links are built from the host the client used, as Glance does without ``public_endpoint``.
Stratus advertises Image API v2.0 to v2.7 (community images, hidden images, multihash); it does
not offer the interoperable import of v2.6+, and says so by leaving the import-methods header out.
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Reply, Router

router = Router("image")

CURRENT = 7


def document(base_url: str) -> dict[str, Any]:
    """``{"versions": [...]}`` from the newest v2.x (CURRENT) down to v2.0 (SUPPORTED)."""
    link = [{"rel": "self", "href": f"{base_url}/v2/"}]
    return {
        "versions": [
            {
                "id": f"v2.{minor}",
                "status": "CURRENT" if minor == CURRENT else "SUPPORTED",
                "links": link,
            }
            for minor in range(CURRENT, -1, -1)
        ]
    }


@router.route("GET", "/", auth=False)
def list_versions(req: ApiRequest) -> Reply:
    """Every API version (300 Multiple Choices, as Glance answers the root)."""
    return Reply(document(req.base_url), status=300)


@router.route("GET", "/versions", auth=False)
def list_versions_explicit(req: ApiRequest) -> dict[str, Any]:
    """Every API version (200)."""
    return document(req.base_url)


@router.route("GET", "/v2", auth=False)
def show_v2(req: ApiRequest) -> dict[str, Any]:
    """The same document, for clients that probe the versioned endpoint."""
    return document(req.base_url)
