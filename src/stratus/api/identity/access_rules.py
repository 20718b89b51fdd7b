"""``/v3/users/{user_id}/access_rules``: list (filters service, path, method), show, delete.

Rules are made only through application credentials; a rule in use cannot be deleted (403).
"""

from __future__ import annotations

from typing import Any

from stratus.api.common.routing import ApiRequest, Router
from stratus.api.identity import params, views
from stratus.db.models.identity import AccessRule
from stratus.db.repositories.identity import access_rules
from stratus.services.identity import access_rules as service

router = Router("identity")

_BASE = "/v3/users/{user_id}/access_rules"


def _view(req: ApiRequest, row: AccessRule) -> dict[str, Any]:
    return {
        **views.access_rule(row),
        "links": {
            "self": views.link(req, f"/v3/users/{row.user_id}/access_rules/{row.external_id}")
        },
    }


@router.route("GET", _BASE, policy="identity:list_access_rules")
def list_access_rules(req: ApiRequest) -> dict[str, Any]:
    """List a user's access rules (filters: service, path, method)."""
    with req.state.db.read() as session:
        rows = access_rules.list_(
            session,
            req.path["user_id"],
            service=params.text(req, "service"),
            path=params.text(req, "path"),
            method=params.text(req, "method"),
        )
        return views.collection(req, "access_rules", [_view(req, r) for r in rows])


@router.route("GET", _BASE + "/{access_rule_id}", policy="identity:get_access_rule")
def show_access_rule(req: ApiRequest) -> dict[str, Any]:
    """Show one of the user's access rules."""
    with req.state.db.read() as session:
        row = access_rules.get(session, req.path["user_id"], req.path["access_rule_id"])
        return {"access_rule": _view(req, row)}


@router.route(
    "DELETE", _BASE + "/{access_rule_id}", policy="identity:delete_access_rule", status=204
)
def delete_access_rule(req: ApiRequest) -> None:
    """Delete an access rule no application credential uses any more (else 403)."""
    with req.state.db.write() as session:
        service.delete(session, req.path["user_id"], req.path["access_rule_id"])
