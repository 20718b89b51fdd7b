"""The identity application: every router of the identity API in one Starlette app."""

from __future__ import annotations

import importlib

from starlette.applications import Starlette

from stratus.api.common.app import build_app
from stratus.api.identity.state import IdentityState

# NOTE: modules are listed by name so adding a resource is one line here.
ROUTER_MODULES = (
    "versions",
    "tokens",
    "domains",
    "projects",
    "users",
    "groups",
    "roles",
    "grants",
    "role_assignments",
    "catalog",
    "credentials",
    "app_credentials",
    "access_rules",
)


def routers() -> list[object]:
    return [importlib.import_module(f"stratus.api.identity.{m}").router for m in ROUTER_MODULES]


def build(state: IdentityState) -> Starlette:
    return build_app(state, routers())  # type: ignore[arg-type]
