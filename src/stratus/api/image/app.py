"""The image application (Glance v2 subset): every router of the image API in one Starlette app.

``ImageState`` is what handlers reach through ``req.state``: the common ``ServiceState`` plus the
image store. ``ImageState.create`` fills in the image defaults (name, policy rules, filesystem
store from ``[image] filesystem_store_datadir``).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import TypeVar

from starlette.applications import Starlette

from stratus.api.common.app import ServiceState, build_app
from stratus.api.common.auth import TokenValidator
from stratus.api.common.policy import Enforcer
from stratus.api.common.routing import ApiRequest, Router
from stratus.api.image import policies
from stratus.common.config import Config
from stratus.db.session import Database
from stratus.image.store import ImageStore
from stratus.image.stores.filesystem import FilesystemStore
from stratus.services.image.images import ImageService

# NOTE: modules are listed by name so adding a resource is one line here.
ROUTER_MODULES = (
    "versions",
    "schemas",
    "images",
    "image_data",
    "tags",
    "members",
    "image_tasks",
    "info",
)

S = TypeVar("S", bound=ImageService)


@dataclasses.dataclass
class ImageState(ServiceState):
    """``ServiceState`` plus the store holding image data."""

    store: ImageStore = dataclasses.field(kw_only=True)

    @classmethod
    def create(
        cls,
        config: Config,
        db: Database,
        validator: TokenValidator,
        store: ImageStore | None = None,
        enforcer: Enforcer | None = None,
        identity_uri: str = "",
    ) -> ImageState:
        """The state of a standard image API: default policies (plus ``[oslo_policy]`` file)."""
        return cls(
            name="image",
            config=config,
            db=db,
            enforcer=enforcer or Enforcer(policies.RULES, config.oslo_policy.policy_file),
            validator=validator,
            fault_style="nova",
            identity_uri=identity_uri,
            store=store or FilesystemStore(config.image.filesystem_store_datadir),
        )


def image_state(req: ApiRequest) -> ImageState:
    state = req.state
    assert isinstance(state, ImageState)
    return state


def service(req: ApiRequest, kind: type[S]) -> S:
    """A service object of class ``kind`` acting for the caller of ``req``."""
    state = image_state(req)
    return kind(state.db, state.store, state.config.image, req.ctx, req)


def routers() -> list[Router]:
    return [importlib.import_module(f"stratus.api.image.{m}").router for m in ROUTER_MODULES]


def build(state: ImageState) -> Starlette:
    """The image API application."""
    return build_app(state, routers())
