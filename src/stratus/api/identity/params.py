"""Small helpers the identity handlers share: query filters and defaults taken from the token."""

from __future__ import annotations

from stratus.api.common.routing import ApiRequest


def text(req: ApiRequest, name: str) -> str | None:
    """A string query filter, or None when absent."""
    return req.query.get(name)


def default_domain(req: ApiRequest) -> str:
    """Keystone's rule: the domain of a domain-scoped token, else the configured default."""
    return req.ctx.domain_id or req.state.config.identity.default_domain_id


def rounds(req: ApiRequest) -> int:
    return req.state.config.identity.password_hash_rounds


def is_admin(req: ApiRequest) -> bool:
    return req.allowed("admin_required")
