"""The network application: every router of the networking API."""

from __future__ import annotations

import importlib

from starlette.applications import Starlette

from stratus.api.common.app import build_app
from stratus.api.common.routing import Router
from stratus.api.network.state import NetworkState

# NOTE: modules are listed by name so adding a resource is one line here.
ROUTER_MODULES: tuple[str, ...] = (
    "versions",
    "extensions",
    "networks",
    "subnets",
    "ports",
    "security_groups",
    "quotas",
    "tags",
)


def routers() -> list[Router]:
    found = []
    for name in ROUTER_MODULES:
        router = importlib.import_module(f"stratus.api.network.{name}").router
        assert isinstance(router, Router)
        found.append(router)
    return found


def build(state: NetworkState) -> Starlette:
    return build_app(state, routers())
