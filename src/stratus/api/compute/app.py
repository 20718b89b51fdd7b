"""The compute application: every router of the compute API, behind microversion negotiation."""

from __future__ import annotations

import importlib

from starlette.applications import Starlette

from stratus.api.common.app import build_app
from stratus.api.common.routing import Router
from stratus.api.compute import server_action_handlers
from stratus.api.compute.legacy_v2 import LegacyV2Middleware
from stratus.api.compute.microversion import MicroversionMiddleware
from stratus.api.compute.state import ComputeState

# NOTE: modules are listed by name so adding a resource is one line here.
ROUTER_MODULES: tuple[str, ...] = (
    "versions",
    # servers (detail before {server_id}: routes match in order)
    "servers",
    "server_actions",
    "server_metadata",
    "server_tags",
    "server_ips",
    "instance_actions",
    "remote_consoles",
    "server_password",
    # flavors, keypairs, limits, quotas, zones, aggregates, server groups, services,
    # hypervisors, migrations
    "flavors",
    "flavor_extras",
    "keypairs",
    "limits",
    "quota_sets",
    "availability_zones",
    "aggregates",
    "server_groups",
    "services",
    "hypervisors",
    "migrations",
    "security_groups",
    # the image proxy (<= 2.35; metadata <= 2.38)
    "images",
)


def routers() -> list[Router]:
    found = []
    for name in ROUTER_MODULES:
        router = importlib.import_module(f"stratus.api.compute.{name}").router
        assert isinstance(router, Router)
        found.append(router)
    return found


def build(state: ComputeState) -> Starlette:
    state.server_actions = server_action_handlers.ACTIONS
    app = build_app(state, routers(), extra_header="x-compute-request-id")
    app.add_middleware(MicroversionMiddleware, maximum=state.config.compute.max_microversion)
    app.add_middleware(LegacyV2Middleware)  # NOTE: outermost: /v2/... is v2.1 at 2.1
    return app
