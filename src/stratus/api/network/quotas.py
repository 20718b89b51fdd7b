"""``/v2.0/quotas``: networking limits per project, their defaults and usage details."""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.network import common, schemas
from stratus.services.network import quotas

router = Router("network")


@router.route("GET", "/v2.0/quotas")
def list_quotas(req: ApiRequest) -> dict[str, Any]:
    """Every project with its own networking limits (admin)."""
    found = quotas.list_quotas(common.db(req), common.config(req), common.caller(req))
    return {"quotas": [{"project_id": p, "tenant_id": p, **limits} for p, limits in found.items()]}


@router.route("GET", "/v2.0/quotas/{project_id}")
def show_quota(req: ApiRequest) -> dict[str, Any]:
    """A project's effective limits (-1 = unlimited)."""
    return {
        "quota": quotas.get_quota(
            common.db(req), common.config(req), common.caller(req), req.path["project_id"]
        )
    }


@router.route("GET", "/v2.0/quotas/{project_id}/default")
def show_default_quota(req: ApiRequest) -> dict[str, Any]:
    """The default limits."""
    return {
        "quota": quotas.get_defaults(
            common.db(req), common.config(req), common.caller(req), req.path["project_id"]
        )
    }


@router.route("GET", "/v2.0/quotas/{project_id}/details")
def show_quota_details(req: ApiRequest) -> dict[str, Any]:
    """Limits with usage: ``{"network": {"limit": 100, "used": 2, "reserved": 0}, ...}``."""
    found = quotas.get_details(
        common.db(req), common.config(req), common.caller(req), req.path["project_id"]
    )
    return {
        "quota": {
            r: {"limit": u.limit, "used": u.used, "reserved": u.reserved} for r, u in found.items()
        }
    }


@router.route("PUT", "/v2.0/quotas/{project_id}", body=schemas.QUOTA_UPDATE)
def update_quota(req: ApiRequest) -> dict[str, Any]:
    """Set some of a project's limits (admin)."""
    values = dict(req.body["quota"])
    values.pop("check_limit", None)
    return {
        "quota": quotas.update_quota(
            common.db(req), common.config(req), common.caller(req), req.path["project_id"], values
        )
    }


@router.route("DELETE", "/v2.0/quotas/{project_id}", status=204)
def delete_quota(req: ApiRequest) -> None:
    """Back to the defaults (admin)."""
    quotas.delete_quota(common.db(req), common.caller(req), req.path["project_id"])
