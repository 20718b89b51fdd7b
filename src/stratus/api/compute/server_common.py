"""What every servers-API handler needs: the ``ServerApi`` acting for the caller, and the
"find the server, then check the policy on it" step (404 before 403, as Nova)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from stratus.api.common.policy import Enforcer
from stratus.api.common.routing import ApiRequest
from stratus.api.compute import microversion
from stratus.api.compute.state import compute_state
from stratus.api.image import policies as image_policies
from stratus.common.context import RequestContext
from stratus.services.compute.servers import ServerApi


@functools.cache
def _image_enforcer(policy_file: str) -> Enforcer:
    return Enforcer(image_policies.RULES, policy_file)


class ImagePolicy:
    """Image-service policy answers for the caller (servers read and create images)."""

    def __init__(self, enforcer: Enforcer, ctx: RequestContext) -> None:
        self.enforcer = enforcer
        self.ctx = ctx

    def allowed(self, rule: str, target: Mapping[str, Any] | None = None) -> bool:
        return self.enforcer.check_rule(rule, target or {}, self.ctx)


def server_api(req: ApiRequest) -> ServerApi:
    state = compute_state(req)
    policy = ImagePolicy(_image_enforcer(state.config.oslo_policy.policy_file), req.ctx)
    return ServerApi(state.db, state.config, req.ctx, state.conductor, state.compute, policy)


def authorized(req: ApiRequest, rule: str, server_id: str) -> ServerApi:
    """The caller's ``ServerApi`` once ``server_id`` is found (404) and ``rule`` allows (403)."""
    api = server_api(req)
    req.authorize(rule, api.target(server_id))
    return api


def version(req: ApiRequest) -> tuple[int, int]:
    v = microversion.of(req)
    return (v.major, v.minor)
